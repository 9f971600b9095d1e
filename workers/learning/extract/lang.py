"""Is a message written in Spanish? Only where a word means different things by language.

Most Spanish rules simply add Spanish words beside English ones, because the two vocabularies
rarely collide. A few words do collide ("mil" is ×1,000 in Spanish and ×1,000,000 in English
real-estate slang), and those rules ask here. Reads normalised (lower-cased, accent-folded)
text; counting function words is cheap and good enough for one SMS.
"""

from __future__ import annotations

import re

# Function words and very common verbs that are not English words (accents already folded).
_SPANISH = re.compile(
    r"\b(?:de|del|la|las|los|el|una|unos|unas|que|en|por|para|con|hasta|pero|y|mis|su|sus"
    r"|es|esta|estoy|estamos|tengo|tenemos|queremos|quiero|busco|buscamos|necesito|necesitamos"
    r"|casa|casas|algo|como|mas|muy|tambien|hola|gracias|buenas|buenos|somos|soy|vamos"
    r"|nos|le|les|lo|al|pues|porque|cuando|donde|cerca|dolares|recamaras|habitaciones"
    r"|cuartos|banos|presupuesto|maximo|minimo|alrededor|un|tenga|tiene|quiere|quieren|busca"
    r"|buscan|sea|grande|ahora|si)\b"
)
_ENGLISH = re.compile(
    r"\b(?:the|a|an|and|of|to|in|for|with|we|i|im|i'm|we're|is|are|my|our|you|your|budget"
    r"|want|need|looking|up|under|about|around|max|house|home)\b"
)


def is_spanish(text: str) -> bool:
    """True when Spanish function words outnumber English ones (two at least, or one in a
    message with no English function word at all)."""
    spanish = len(_SPANISH.findall(text))
    english = len(_ENGLISH.findall(text))
    return spanish > english and (spanish >= 2 or english == 0)

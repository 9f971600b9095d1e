"""Does a lead clearly re-engage with the conversation? Pure, no I/O.

An "unsure" consent state (the lead said wrong number, or never asked to be contacted) is
lifted without a person when the lead then writes something only an engaged lead writes: a
question or a request about a property, a showing time, a price, an appointment, financing.
A wrong lift means automated texts to someone who may have asked us to stop, so the reading
favours precision over recall: when in doubt, it says no and a person decides.

`reengages` is True when both hold in one clause (a piece of a sentence between commas):

* **Shape**: a question, i.e. the clause opens with a question word or auxiliary ("is",
  "can", "what's", "how", "any", "cuánto", "podemos", "hay", "sigue", ...; after fillers such
  as "ok", "hi", "yes", "hola") or is the last clause of a sentence with "?" / "¿"; an
  exclamation opened by "¡" is none. Or a request that is not negated ("I'd like to", "I want
  to", "send me", "let's", "call me", "interested in", "quiero", "me gustaría", "mándeme",
  "busco", ...; not "I don't want to", "no quiero").
* **Topic**: a real-estate word (house, condo, 3 bed, bath, garage, HOA, listing, photos,
  casa, recámaras, cochera, ...), a visit (see it, tour, showing, appointment, verla, cita,
  visita), a time (a weekday, today, tomorrow, weekend, 2pm, "at 2", sábado, mañana, "a
  las 2"), a price (price, cost, how much, $450k, precio, cuánto cuesta), financing
  (mortgage, pre-approval, down payment, hipoteca, enganche, crédito) or availability
  (still available, for sale, sold, disponible, en venta). Everyday uses of such words are
  none: "how much longer", "cuánto tiempo", "are you available", "are you home", "a lot",
  "a ver", "vale".

Topic and shape must share a clause, so "what? I sold my house" and "I sold the house, ok?"
are no re-engagement. And nothing in the whole message may say otherwise:

* any opt-out or unsure reading of `workers.consent.optout` (wrong number, who is this,
  spam, stop, ...), or the word "stop" (not "stop by"), "unsubscribe", "opt out", "baja";
* confusion or annoyance: who is this / quién es, how did you get my number, "my number",
  not interested / no me interesa, never asked / nunca pedí, what is this (about) / qué es
  esto, "is this about ..." / "es sobre ...", "talking about" / "de qué me habla", "what
  house?" / "¿qué casa?", "why are you texting", "keep texting", "don't text/call", scam,
  spam, estafa.

Typing is folded first: case, accents, curly quotes, and texting forms (u, ur, r, pls, wat,
whats, tmrw, sat, appt, avail..., bd/br/bdrm, q, xq, kiero).
"""

from __future__ import annotations

import re
import unicodedata

from workers.consent.optout import signals

# --- folding ------------------------------------------------------------------------------

_SPELLINGS: tuple[tuple[str, str], ...] = (
    (r"\bu\b", "you"), (r"\bur\b", "your"), (r"\br\b", "are"), (r"\b(?:pls|plz|plez)\b", "please"),
    (r"\b(?:wat|wut|wht|whta)\b", "what"), (r"\b(?:whats|wats|what's|wuts)\b", "what is"),
    (r"\bhw\b", "how"), (r"\b(?:im|i'm)\b", "i am"),
    (r"\b(?:id(?= (?:like|love)\b)|i'd)", "i would"),
    (r"\b(?:we'd)\b", "we would"), (r"\b(?:lets|let's)\b", "let us"),
    (r"\b(?:wanna)\b", "want to"), (r"\b(?:gonna)\b", "going to"),
    (r"\b(?:dont|don't|do not)\b", "do not"), (r"\b(?:cant|can't)\b", "can not"),
    (r"\b(?:tmrw|tmr|tmrrw|tmrow|tomorow|tommorow|tommorrow|2morrow|2moro)\b", "tomorrow"),
    (r"\b2day\b", "today"), (r"\b(?:2nite|tonite)\b", "tonight"),
    (r"\bsat\b", "saturday"), (r"\bappts?\b", "appointment"),
    (r"\bavail\w*", "available"), (r"\bavaliable\b", "available"),
    (r"\b(?:\d+\s*)?(?:bds?|bdrms?|brs?|beds?|bedrooms?)\b", "bedroom"),
    (r"\b(?:\d+\s*)?(?:ba|baths?|bathrooms?)\b", "bathroom"),
    (r"\b(?:pics?|pix|pictures?|photos?|fotos?)\b", "photos"),
    (r"\bq\b", "que"), (r"\b(?:xq|pq|xk)\b", "porque"), (r"\bki?ero\b", "quiero"),
    (r"\bki?eremos\b", "queremos"),
    (r"\bkasa\b", "casa"),
)
_SPELLING_RX = tuple((re.compile(p), r) for p, r in _SPELLINGS)


def _fold(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'")
    text = "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))
    for rx, repl in _SPELLING_RX:
        text = rx.sub(repl, text)
    return re.sub(r"[ \t]+", " ", text)


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(alternatives) + r")")


# --- what rules a message out -------------------------------------------------------------

_DISQUALIFY = _rx(
    # opt-out words the opt-out reading may leave as a near miss here
    r"\bstop\b(?!\s+(?:by|in)\b)", r"\bunsub\w*", r"\bopt(?:\s|-)?out\b", r"\bbaja\b",
    # identity and confusion
    r"\bwho(?:'s| is| are| r)? (?:this|you|dis)\b", r"\bwho dis\b",
    r"\bwho (?:is|am i) (?:texting|talking)",
    r"\bquien (?:es|eres|son|habla)\b", r"\bcon quien\b",
    r"\b(?:how|where) did you get\b", r"\b(?:my|this|mi|este) (?:number|numero|#|cell|celular)\b",
    r"\bwrong (?:number|person|#)\b", r"\bequivocad[oa]s?\b",
    r"\bnot interested\b", r"\bno (?:me|nos) interesa\b", r"\bno (?:estoy|estamos) interesad",
    r"\bnever (?:asked|signed|requested|inquired|contacted|gave|filled)\b",
    r"\bdid(?:n't| not|nt) (?:ask|sign|request|inquire|fill)\b",
    r"\bi am not (?:looking|buying|selling|moving)\b", r"\bno (?:estoy|estamos) buscando\b",
    r"\bnunca (?:pedi|solicite|me registre|di|llene)\b", r"\bno (?:pedi|solicite)\b",
    r"\bwhat is (?:this|that)\s*(?:about\b|[?!.]|$)", r"\bwhat is going on\b",
    r"\bwhat do you mean\b", r"\btalking about\b", r"\bis (?:this|it) (?:about|regarding)\b",
    r"\bque es esto\b", r"\bde que (?:\w+ ){0,3}(?:habla|hablas|hablan|se trata)\b",
    r"\bes (?:sobre|acerca de|por)\b",
    r"\bno entiendo\b", r"\b(?:do not|didn't|did not) (?:understand|know)\b", r"\bconfus",
    r"\b(?:what|which|que|cual)(?: one)? (?:house|home|property|listing|condo|apartment|casa"
    r"|propiedad|departamento|apartamento)s?\s*(?:[?!.]|$)",
    # annoyance with the contact itself
    r"\bwhy (?:are|do|did|would|is) (?:you|someone|this|u)\b.*\b(?:text|messag|call|email|contact"
    r"|writ|send)", r"\bwhy am i (?:getting|receiving)\b",
    r"\bpor ?que (?:me|nos) (?:escrib|mand|llam|envi|contact)",
    r"\bkeep (?:texting|messaging|calling|emailing|contacting|sending)\b",
    r"\bsigue?n? (?:escribiendo|mandando|llamando|enviando)\b",
    r"\bdo not (?:text|call|message|email|contact|send)\b", r"\bno me (?:escrib|llam|mand|envi)",
    r"\b(?:scam|spam|fraud|estafa|fraude|harass|acoso)",
)


# --- shape ----------------------------------------------------------------------------------

_FILLER = _rx(
    r"(?:ok(?:ay)?|k|hi|hey|hello|yes|yeah|yep|yup|no|nope|so|and|but|also|um+|oh|well|sorry"
    r"|thanks|great|cool|hola|si|y|pero|bueno|oye|pues|ah|buenas|ola|disculpe|perdon|gracias"
    r"|ya|entonces|y|also|btw)\b[\s,]*"
)
_QUESTION_START = _rx(
    r"(?:is|are|was|were|does|do|did|can|could|would|will|may|might|should|what|when|where"
    r"|which|how|any|anything|have|has)\b",
    r"(?:que|cuando|donde|cual|cuales|cuanto|cuanta|cuantos|cuantas|como|puedo|podemos|podria"
    r"|podriamos|puede|pueden|hay|tiene|tienen|sigue|siguen|todavia|aun|se puede|a que)\b",
)
_REQUEST = _rx(
    r"\b(?:i|we) would (?:like|love)\b", r"\b(?:i|we) (?:want|need) (?:to|a|an|the|more)\b",
    r"\b(?:i am|we are) (?:interested|looking)\b", r"\binterested in\b", r"\blooking for\b",
    r"\blet us\b", r"\bplease (?:send|show|call|text|email|let|schedule|book|set)\b",
    r"\b(?:send|show|call|text|email) (?:me|us)\b", r"\b(?:schedule|book|set up|arrange)\b",
    r"\b(?:quiero|queremos|quisiera|quisieramos|busco|buscamos|necesito|necesitamos)\b",
    r"\b(?:me|nos) (?:gustaria|encantaria|interesa)\b",
    r"\b(?:estoy|estamos) (?:interesad|buscando)",
    r"\b(?:enviame|envieme|envienme|mandame|mandeme|mandenme|llamame|llameme|llamenme"
    r"|muestrame|muestreme)\b",
    r"\b(?:agendar|agendemos|agende|programar|apartar)\b",
)
_NEGATION = re.compile(r"\b(?:not|never|no|nunca|ni|tampoco|n't)\b")


def _is_question(clause: str, last_of_question: bool) -> bool:
    if clause.lstrip().startswith("¡"):  # "¡Qué casa!" exclaims, asks nothing
        return False
    bare = re.sub(r"^[\W_]+", "", clause)
    while (m := _FILLER.match(bare)) and m.end() < len(bare):
        bare = bare[m.end():]
    return last_of_question or bool(_QUESTION_START.match(bare))


def _is_request(clause: str) -> bool:
    for m in _REQUEST.finditer(clause):
        if not _NEGATION.search(clause[max(0, m.start() - 20):m.start()]):
            return True
    return False


# --- topic ----------------------------------------------------------------------------------

_TOPIC = _rx(
    # the property
    r"\b(?:house|property|propert(?:y|ies)|condo|apartment|townhouse|townhome|duplex|unit"
    r"|listing|acres?|bedroom|bathroom|sq ?ft|square f(?:ee|oo)t|garage|pool|yard"
    r"|backyard|basement|kitchen|hoa|address|neighborhood|school|photos|floor ?plan)s?\b",
    r"\b(?:casa|hogar|propiedad(?:es)?|condominio|apartamento|departamento|depa|terreno|lote"
    r"|recamara|habitacion(?:es)?|cuarto|bano|cochera|garaje|piscina|alberca|patio|jardin"
    r"|cocina|direccion|vecindario|colonia|escuela|fotos?)s?\b",
    r"\b(?:a|the|this|that|new|your|my|our|buy|sell|selling|buying) homes?\b", r"\bhomes\b",
    r"(?<!\ba )\blots?\b",
    # a visit
    r"\b(?:see|view|visit|tour|check out|look at) (?:it|them|the|this|that|her|inside)\b",
    r"\b(?:tour|showing|viewing|walk ?through|open house|appointment|visit)s?\b",
    r"(?<!\ba )\bver\b", r"\b(?:verla|verlo|verlas|verlos|visitar|visitarla|visitarlo|visita|cita"
    r"|recorrido|mostrar|ensenar|conocerla|conocerlo)\b",
    # a time
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu|thurs|fri)s?\b",
    r"\b(?:today|tonight|tomorrow|weekend|morning|afternoon|evening|noon|next week|this week)\b",
    r"\b\d{1,2}(?::\d{2})? ?(?:am|pm|a\.m\.|p\.m\.)(?!\w)", r"\bat \d{1,2}(?::\d{2})?\b",
    r"\b(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|hoy|manana|tarde|noche"
    r"|fin de semana|mediodia)\b", r"\ba las \d", r"\b(?:proxima|esta) semana\b",
    # a price
    r"\b(?:price|prices|priced|pricing|cost|costs|asking|list price|budget|fees?|payments?"
    r"|monthly|afford|negotiable|cheaper|taxes|rent|lease|deposit)\b",
    r"\bhow much\b(?! (?:longer|more (?:texts|messages|times)))", r"\$ ?\d", r"\b\d+k\b",
    r"\b(?:precio|cuesta|cuestan|costo|pagos?|mensualidad|presupuesto|negociable"
    r"|renta|alquiler|deposito|impuestos|cuota|mantenimiento)\b",
    r"\bcuant[oa]s?\b(?! (?:tiempo|mas|veces|mensajes|dias))",
    # financing
    r"\b(?:mortgage|loan|financing|finance|pre-?approv\w*|lender|down payment|closing costs?"
    r"|interest rate|fha|va loan|credit|offer|inspection|appraisal|escrow)\b",
    r"\b(?:hipoteca|prestamo|financiamiento|financiar|credito|enganche|pago inicial|oferta"
    r"|inspeccion|avaluo)\b",
    # availability (not "are you available")
    r"(?<!you )(?<!anyone )(?<!someone )(?<!usted )(?<!alguien )\bavailable\b",
    r"\b(?:for sale|on the market|sold|under contract|pending)\b",
    r"\b(?:disponibles?|en venta|se vendio|vendid[oa]|rentad[oa])\b",
)


def _topic(clause: str) -> bool:
    return bool(_TOPIC.search(clause))


# --- the reading ----------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^.!?\n¿]*(?:¿[^?\n]*\??|[.!?]+|\n|$)")


def reengages(text: str) -> bool:
    """True when `text` clearly takes up the conversation again: a question or request about
    a property, a visit, a time, a price or financing, with nothing that reads as an opt-out,
    confusion or annoyance (module docstring)."""
    if not text.strip() or any(sig != "resubscribe" for _, sig in signals(text)):
        return False
    folded = _fold(text)
    if _DISQUALIFY.search(folded):
        return False
    for sentence in _SENTENCE.findall(folded):
        question = "?" in sentence or "¿" in sentence
        clauses = [c for c in re.split(r"[;]|,(?!\d{3})|:(?!\d)", sentence) if c.strip(" ¿?!.\n")]
        for i, clause in enumerate(clauses):
            shaped = (_is_question(clause, question and i == len(clauses) - 1)
                      or _is_request(clause))
            if shaped and _topic(clause):
                return True
    return False

"""Does the lead ask for an appointment (pure): `wants_appointment`. No I/O.

Three kinds of cue, English and Spanish, read per clause (`words`):

- a visit: showing, viewing, tour, walk-through, visita, recorrido; "come by", "ir a ver";
  and a seeing verb (see, view, visit, look at, check out, show me; ver, conocer, visitar, recorrer,
  mostrar, enseñar) asked for ("can I", "I'd like to", "when can", "quiero", "podemos"...)
  with the property as its object ("it", "the house", "inside", "in person", "verla", "la
  casa") — not its photos, the listing or "more homes";
- a call: "call me" / "call us" / "call you" / "call back", a call ("a call", "phone call",
  "hop on a call"), on the phone, talk / speak asked for ("can we talk", "let's talk"), zoom;
  llamar, llamada, marcar, hablar, platicar;
- a meeting: meet, meeting, appointment, cita, reunión, vernos, agendar, "set up a time".

A cue is cancelled by a negation a few words before it in its clause ("I don't want a showing
yet", "no need to call", "no me llame"), and calls by "text only" / "solo mensajes". Not a
request: "call me crazy", "see you", "I saw it online", "nice to meet you", "I have an
appointment", "talk to my husband". A visit wins ("call me to set up a showing" wants a
showing); else a call; a meeting alone is a showing.
"""

from __future__ import annotations

from typing import Literal

from workers.booking import words

Kind = Literal["showing", "call"]
Cue = Literal["visit", "call", "meet"]

WINDOW = 5  # how many words before a cue its frame or negation may be

FRAMES = frozenset({
    "can", "could", "may", "when", "want", "wanna", "like", "love", "lets", "let", "go",
    "come", "able", "schedule", "to", "would", "interested", "please", "pls", "plz", "get",
    "book", "set", "arrange", "possible", "chance", "need", "free", "available", "how",
    "puedo", "podemos", "puede", "puedes", "pueden", "podria", "podriamos", "quiero",
    "queremos", "quisiera", "gustaria", "cuando", "para", "vamos", "agendar", "programar",
    "hacer", "organizar", "coordinar", "sacar", "pasar", "ir", "necesito", "favor", "podre",
    "seria", "hay", "where", "should", "shall", "donde", "why",
})
NEGATIONS = frozenset({"not", "dont", "doesnt", "didnt", "wont", "never", "no", "nunca",
                       "without", "sin", "cant", "cannot", "nor", "neither", "rather"})
NEUTRAL = (("dont", "mind"), ("wouldnt", "mind"), ("cant", "wait"), ("no", "problem"),
           ("no", "worries"), ("no", "me", "molesta"), ("por", "que", "no"),
           ("no", "hay", "problema"), ("sin", "problema"))
TEXT_ONLY = (("text", "only"), ("texts", "only"), ("only", "text"), ("only", "texts"),
             ("just", "text"), ("text", "me", "instead"), ("solo", "mensajes"),
             ("solo", "mensaje"), ("solo", "texto"), ("solo", "textos"),
             ("solo", "por", "mensaje"), ("solamente", "mensajes"))

VISIT_NOUNS = frozenset({"showing", "showings", "viewing", "viewings", "tour", "walkthrough",
                         "visita", "recorrido", "walkthru"})
VISIT_PHRASES = (("walk", "through"), ("walk", "thru"), ("come", "by"), ("stop", "by"),
                 ("swing", "by"), ("drop", "by"), ("ir", "a", "ver"), ("pasar", "a", "ver"),
                 ("go", "see"), ("come", "see"), ("come", "look"))
NOT_A_VISIT = (("virtual", "tour"), ("3d", "tour"), ("video", "tour"), ("tour", "link"),
               ("online", "tour"))
SEE_VERBS = frozenset({"see", "view", "visit", "look", "check", "show", "ver", "conocer", "visitar",
                       "recorrer", "mostrar", "mostrarme", "ensenar", "ensenarme"})
# Spanish verbs carrying their object ("verla": see it).
SEE_WITH_OBJECT = frozenset({
    "verla", "verlo", "verlas", "verlos", "conocerla", "conocerlo", "visitarla", "visitarlo",
    "visitarlas", "visitarlos", "recorrerla", "recorrerlo", "mostrarmela", "mostrarmelo",
    "mostrarla", "mostrarlo", "ensenarmela", "ensenarmelo", "ensenarla", "ensenarlo",
})
OBJECTS = frozenset({
    "it", "this", "that", "them", "house", "home", "property", "place", "unit", "apartment",
    "apt", "condo", "townhome", "townhouse", "inside", "lot", "land", "one", "casa",
    "propiedad", "departamento", "depa", "apartamento", "terreno", "lugar", "condominio",
})
NOT_OBJECTS = frozenset({
    "photo", "photos", "pics", "pictures", "picture", "video", "videos", "online", "link",
    "website", "site", "listing", "listings", "fotos", "foto", "enlace", "pagina", "more",
    "other", "similar", "floor", "plan", "plans", "market", "mas", "otras", "otros",
    "in", "at", "on", "about", "of", "from", "for", "en", "de", "sobre", "if", "whether",
    "what", "how", "when", "where", "why", "and", "or", "is", "are", "si", "que", "como",
    "cuando", "donde", "you", "te", "lo", "nos", "us", "me",
})
CALL_FOLLOWERS = frozenset({
    "tomorrow", "today", "tonight", "now", "later", "asap", "anytime", "whenever", "at",
    "after", "before", "around", "this", "next", "on", "in", "please", "pls", "plz", "when",
    "if", "sometime", "so", "and", "or", "thanks", "thank", "back", "to", "real", "quick",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})
NOT_CALL = frozenset({"crazy", "old", "oldfashioned", "paranoid", "picky", "skeptical",
                      "skeptic", "a", "an", "whatever", "silly", "cautious", "traditional",
                      "naive", "what", "by"})
CALL_NOUN_BEFORE = frozenset({"a", "quick", "phone", "video", "zoom", "short", "brief"})
CALL_WORDS_SELF = frozenset({  # a request by themselves (imperative or first person plural)
    "llamame", "llameme", "llamenme", "llamarme", "llamarnos", "llamanos", "marcame",
    "marqueme", "marcarme", "hablemos", "hablamos", "platiquemos", "platicamos", "llamada",
    "llamadita", "videollamada", "callback", "zoom", "facetime",
})
CALL_PHRASES = (("on", "the", "phone"), ("over", "the", "phone"), ("by", "phone"),
                ("por", "telefono"), ("me", "llama"), ("me", "llamas"), ("me", "llame"),
                ("me", "llamen"), ("nos", "llama"), ("me", "marca"), ("me", "marcas"),
                ("me", "marque"), ("me", "marquen"))
TALK_VERBS = frozenset({"talk", "speak", "hablar", "platicar", "conversar", "llamar",
                        "marcar", "chat"})
OWN_PEOPLE = frozenset({"my", "our", "his", "her", "their", "mi", "mis", "nuestro",
                        "nuestra", "su", "sus"})
TIME_WORDS = CALL_FOLLOWERS | {"manana", "hoy", "luego", "ahorita", "ahora"}
MEET_WORDS = frozenset({"meet", "meeting", "appointment", "appointments", "appt", "cita",
                        "reunion", "reunirnos", "reunirme", "vernos", "agendar", "agendemos",
                        "agendarme", "agendamos"})
MEET_FREE = frozenset({"agendar", "agendemos", "agendarme", "agendamos", "cita"})
NOT_MEET_BEFORE = frozenset({"nice", "good", "great", "pleasure", "glad", "gusto", "in", "en"})
BUSY_ELSEWHERE = (("i", "have"), ("i", "had"), ("ive",), ("i", "got"), ("tengo",), ("tuve",),
                  ("we", "have"), ("weve",), ("tenemos",))
TIME_SETUPS = (("set", "up", "a", "time"), ("book", "a", "time"), ("find", "a", "time"),
               ("pick", "a", "time"), ("schedule", "a", "time"), ("schedule", "something"),
               ("set", "something", "up"), ("set", "up", "something"))


def wants_appointment(text: str) -> Kind | None:
    """"showing" when the lead asks to see a property or to meet, "call" when it asks for a
    call, None otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, not {text!r}")
    toks = words.tokens(text)
    text_only = words.has_phrase(toks, TEXT_ONLY)
    cues: set[Cue] = set()
    for raw in words.clauses(toks):
        clause = words.without(raw, NEUTRAL)
        for i in range(len(clause)):
            cue = _cue(clause, i)
            if cue is None or _negated(clause, i) or (cue == "call" and text_only):
                continue
            cues.add(cue)
    if "visit" in cues:
        return "showing"
    if "call" in cues:
        return "call"
    return "showing" if "meet" in cues else None


def _cue(c: list[str], i: int) -> Cue | None:
    tok = c[i]
    before = c[i - 1] if i > 0 else ""
    after = c[i + 1] if i + 1 < len(c) else ""
    if tok in VISIT_NOUNS:
        if any(words.find(c[max(0, i - 1):i + 2], p) >= 0 for p in NOT_A_VISIT):
            return None
        return "visit"
    if any(words.find(c[i:i + len(p)], p) == 0 for p in VISIT_PHRASES):
        return "visit"
    if tok in SEE_WITH_OBJECT and _framed(c, i):
        return "visit"
    if tok in SEE_VERBS and _framed(c, i) and _sees_property(c, i):
        return "visit"
    if tok == "call":
        return "call" if _call_request(c, i) else None
    if tok in CALL_WORDS_SELF or any(words.find(c[i:i + len(p)], p) == 0 for p in CALL_PHRASES):
        return "call"
    if tok in TALK_VERBS and not _to_own_people(c, i) and (
            _framed(c, i) or after in TIME_WORDS):
        return "call"
    if tok in ("phone", "telefono") and before in ("a", "una"):  # "a phone call"
        return "call"
    if tok in MEET_WORDS and not _has_before(c, i, NOT_MEET_BEFORE, 2) and not (
            words.has_phrase(c[max(0, i - 4):i], BUSY_ELSEWHERE)) and (
            tok in MEET_FREE or _framed(c, i)):
        return "meet"
    if any(words.find(c[i:i + len(p)], p) == 0 for p in TIME_SETUPS):
        return "meet"
    return None


def _has_before(c: list[str], i: int, vocabulary: frozenset[str], n: int) -> bool:
    return any(t in vocabulary for t in c[max(0, i - n):i])


def _framed(c: list[str], i: int) -> bool:
    """Asked for: "can I", "I'd like to", "when can", "quiero", "podemos"... a few words
    before."""
    return _has_before(c, i, FRAMES, WINDOW)


def _negated(c: list[str], i: int) -> bool:
    """A negation a few words before ("why don't we meet", "why not" are suggestions)."""
    return any(t in NEGATIONS and not (k > 0 and c[k - 1] == "why")
               for k, t in enumerate(c[:i]) if k >= i - WINDOW)


def _sees_property(c: list[str], i: int) -> bool:
    """The seeing verb's object is the property: "see it", "see the blue house", "view
    inside", "see it in person", "ver la casa" — not "see more photos", "see in the market"."""
    j = i + 1
    if c[i] in ("look", "check") and j < len(c) and c[j] in ("at", "out"):
        j += 1
    if c[i] == "show" and j < len(c) and c[j] in ("me", "us"):
        j += 1  # "show me the house"
    if j >= len(c):
        return c[i] in ("view", "visit", "ver", "conocer", "visitar", "recorrer", "mostrar",
                        "mostrarme", "ensenar", "ensenarme")
    if words.find(c[j:j + 2], ("in", "person")) == 0:
        return True
    for tok in c[j:j + 4]:
        if tok in OBJECTS:
            return True
        if tok in NOT_OBJECTS:
            return False
    return False


def _call_request(c: list[str], i: int) -> bool:
    """"call me" (not "call me crazy"), "call us", "can you call", "a call", "call back"."""
    before = c[i - 1] if i > 0 else ""
    after = c[i + 1] if i + 1 < len(c) else ""
    if before in CALL_NOUN_BEFORE:
        return not _to_own_people(c, i)
    if after in ("me", "us"):
        nxt = c[i + 2] if i + 2 < len(c) else ""
        return nxt not in NOT_CALL
    if after in ("you", "back"):
        return True
    return _framed(c, i) and (not after or after in CALL_FOLLOWERS)


def _to_own_people(c: list[str], i: int) -> bool:
    """"talk to my husband", "a call with my lender", "hablar con mi esposa"."""
    for k in range(i + 1, min(i + 4, len(c))):
        if c[k] in OWN_PEOPLE and c[k - 1] in ("to", "with", "con", "a"):
            return True
    return False

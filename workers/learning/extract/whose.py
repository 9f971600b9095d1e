"""Whose search a statement is about: the lead's own, the person the lead writes for, or
someone else's life (SPEC: "The profile describes the search the conversation is about").

A message is cut into clauses and each clause gets the subject it opens with: the lead ("I",
"we", "my husband", "nosotros", a first-person verb), a third person ("my mom", "our
neighbors", "she", "mi primo"), or none, in which case it keeps the subject of the clause it
continues ("... and had to sell") -- a contrast ("but", "anyway", "pero") or a new sentence goes
back to the lead. A third person is the one the lead writes for (``proxy``) when the lead says
so ("asking for my brother", "escribo por mi mamá", "I want to buy her a condo") or, when the
lead states no plan of their own, when that person's plan is stated ("my parents want to
downsize"); then their facts are the search's. Any other third person's clause is a remark
about someone else's life (``other``) and states nothing: "my sister just had a baby! anyway
we're looking for a 3 bed" is not a growing family.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["self", "proxy", "other"]

# The lead's household speaks as the lead: spouse, partner, the kids they live with.
_HOUSEHOLD = (r"husband|wife|hubby|wifey|partner|spouse|fianc\w*|bf|gf|boyfriend|girlfriend"
              r"|family|kids|children|esposo|esposa|marido|mujer|pareja|novio|novia|familia|hijos"
              r"|ninos")
# People whose own plans a lead may write about (or for).
_KIN = (r"mom|mother|mum|mommy|dad|father|daddy|parents|son|daughter|brother|sister|sibling"
        r"|cousin|aunt|uncle|grandma|grandpa|grandmother|grandfather|grandparents|granny"
        r"|in-?laws|mother-in-law|father-in-law|sister-in-law|brother-in-law|ex|niece"
        r"|nephew|friend|buddy|bestie|bff|client|husband|wife|partner|fianc\w*|boyfriend"
        r"|girlfriend|mama|mami|papa|papi|padres|madre|padre|hijo|hija|hermano|hermana|primo"
        r"|prima|amigo|amiga|tio|tia|abuela|abuelo|abuelos|suegra|suegro|suegros|cunado|cunada"
        r"|sobrino|sobrina|esposo|esposa|novio|novia")
# People in other roles, never the lead's search.
_STRANGER = (r"neighbou?rs?|coworkers?|co-workers?|colleagues?|boss|landlord|landlady"
             r"|roommates?|owners?|sellers?|builder|tenants?|vecin[oa]s?|jefe|jefa"
             r"|companer[oa]s?|casero|casera|duen[oa]s?|inquilin[oa]s?")
# Spanish "él" (he) loses its accent when folded and reads like the article "el"; before a verb
# or a clitic it is the pronoun: "él quiere vender", "él ya no maneja", "él se jubila".
_EL_PRONOUN = (r"el(?=\s+(?:(?:ya|no|tambien|si|solo|nomas|todavia|aun|nunca)\s+)?(?:quiere|quieren"
               r"|necesita|busca|piensa|planea|tiene|va|vive|esta|anda|prefiere|dice|renta|trabaja"
               r"|vende|compra|maneja|sigue|puede|se|le|lo|la|me|nos|es)\b)")
_FILLER = (r"(?:(?:and|but|so|anyway|anyways|also|plus|then|tho|though|lol|haha|oh|well|ok|okay"
           r"|hi|hey|hello|btw|now|just|y|pero|pues|entonces|bueno|hola|ademas|igual|aunque"
           r"|ya|todavia|aun|tambien|still|honestly|actually)\b\W*)*")
_SUBJECT = re.compile(
    rf"^\W*{_FILLER}(?:"
    rf"(?P<self>(?:i|i'm|im|i've|ive|i'd|i'll|we|we're|we've|we'd|we'll|weve|me and|us"
    rf"|(?:my|our|mi|mis|nuestr[oa]s?) (?:{_HOUSEHOLD})|the (?:kids|family)|yo|nosotr[oa]s)\b"
    rf"|\w+(?:amos|emos|imos)\b|(?:quiero|busco|necesito|tengo|estoy|soy|voy|pienso"
    rf"|prefiero|puedo)\b)"
    rf"|(?P<third>(?P<owner>my|our|his|her|their|mi|mis|su|sus|nuestr[oa]s?|tu|tus)"
    rf" (?:[\w-]+ )?(?P<who>{_KIN}|{_STRANGER})\b"
    # "my friend's selling" is "my friend is"; "my friend's condo" is not a subject
    rf"(?!'s\s+(?!\w+ing\b|(?:been|got|gonna|going|about|also|just|now|still|not|already"
    rf"|moving|selling|buying|looking)\b))"
    rf"|(?:the|a|some|el|la|los|las|un|una) (?P<role>{_STRANGER})\b"
    rf"|(?P<pronoun>he|she|they|he's|she's|they're|hes|shes|theyre|ella|ellos|ellas"
    rf"|{_EL_PRONOUN})\b))"
)
_FIRST_PERSON = re.compile(r"\b(?:ours|mine)\b|\b(?:got|gets|has|had|have|getting)\s+(?:me|us)\s+"
                           r"(?:thinking|wondering|considering|looking)\b"
                           # a Spanish verb in the first person plural ("... y despues de eso
                           # nos cambiamos"): the lead's words, wherever in the clause
                           r"|\bnos\s+\w+(?:amos|emos|imos)\b")
_BOUNDARY = re.compile(r"[.!?;\n]+|,|\b(?:and|but|so|though|tho|although|anyway|anyways|however"
                       r"|y|pero|aunque|asi que)\b")
# A contrast, or a "so" drawing the lead's own conclusion ("our neighbor got 415 so hopefully
# around there"), goes back to the lead.
_RESETS = frozenset(("but", "though", "tho", "although", "anyway", "anyways", "however", "pero",
                     "aunque", "so", "asi que"))
# "asking for my brother", "writing on behalf of my mom", "escribo por mi mamá".
_FOR_SOMEONE = re.compile(
    rf"\b(?:for|on behalf of|behalf of|helping|help|helps|ayudando a|ayudar a|por|de parte de"
    rf"|para)\s+(?:out\s+)?(?:my|our|mi|mis|nuestr[oa]s?)\s+(?:[\w-]+\s+)?(?P<who>{_KIN})\b"
    rf"(?!'s)"
)
# Selling (or buying, renting) a relative's home for them: "selling my mom's house for her",
# "quiero vender la casa de mi mamá": that relative is the one the lead writes for.
_KIN_HOME = re.compile(
    rf"\b(?:sell\w*|list\w*|rent\w*|vend\w+|rent\w+|alquil\w+)\s+(?:\w+\s+){{0,2}}?(?:(?:my|our)\s+"
    rf"(?:[\w-]+\s+)?)?(?P<who>{_KIN})'s\s+(?:[\w@-]+\s+)?(?:house|home|place|condo|townhome"
    rf"|townhouse|property|land|lot|unit|duplex)\b"
    rf"|\b(?:vend\w+|rent\w+|alquil\w+)\s+(?:la|el)\s+(?:casa|depa|departamento|propiedad"
    rf"|terreno|condo|lote)\s+de\s+(?:mi|mis|nuestr[oa]s?)\s+(?P<who_es>{_KIN})\b"
)
# Selling a relative's home named by a possessive after them: "my son is joining the army and we
# want to sell his house", "mi hijo se va ... queremos vender su casa".
_THEIR_HOME = re.compile(r"\b(?:sell\w*|list\w*|vend\w+)\s+(?:his|her|their|su|sus)\s+"
                         r"(?:[\w@-]+\s+)?(?:house|home|place|condo|townhome|townhouse|property"
                         r"|casa|depa|propiedad|terreno)\b")
# "I'm the daughter of Jane Smith, she wants to sell": the lead writes for a parent.
_CHILD_OF = re.compile(r"\b(?:i'?m|im|i am|soy) (?:the|her|his|their|su|la|el) (?:\w+ )?(?:daughter"
                       r"|son|child|granddaughter|grandson|niece|nephew|hija|hijo|nieta|nieto"
                       r"|sobrina|sobrino)\b")
# "buy her a condo", "find them something", "comprarle una casa".
_FOR_PRONOUN = re.compile(r"\b(?:buy|find|get|rent|help)\s+(?:him|her|them)\b"
                          r"|\b(?:comprar|buscar|conseguir|rentar)les?\b")
# Someone acting in the lead's search ("he's already showing us places in Evanston").
_FOR_US = re.compile(r"\b(?:show\w*|send\w*|sent|help\w*|tak\w+|took|find\w*|found)\s+(?:us|me)\b"
                     # someone making the lead move: "our landlord is kicking us out", "gave us
                     # notice", "el dueño nos pidió la casa": the lead's own move
                     r"|\b(?:kick\w*|push\w*|forc\w*|throw\w*|boot\w*|pric\w+)\s+(?:us|me)\s+out\b"
                     # a home left to the lead: "my dad passed and left us his house"
                     r"|\bleft\s+(?:us|me)\b|\b(?:nos|me)\s+dej(?:o|aron)\b"
                     r"|\b(?:gave|give|gives|giving)\s+(?:us|me)\s+(?:\w+\s+){0,2}?notice\b"
                     r"|\b(?:told|asked|wants|needs)\s+(?:us|me)\s+to\s+(?:leave|move|be out"
                     r"|get out"
                     r"|vacate)\b|\bnot renewing (?:our|my)\b|\b(?:wants?|needs?)\s+(?:us"
                     r"|me)\s+(?:out|gone)\b"
                     r"|\b(?:nos|me)\s+(?:pidi\w+|pide\w*)\s+(?:la|el)\s+(?:casa|depa|departamento"
                     r"|apartamento|lugar|cuarto)\b|\b(?:nos|me)\s+(?:dio|dieron|dan"
                     r"|da)\s+(?:el\s+)?aviso\b"
                     r"|\b(?:nos|me) (?:esta |estan )?(?:mostr|ayud|ensen|llev|busc)\w+")
_PLAN = re.compile(
    r"\b(?:wants?|wanna|needs?|looking|plans?|planning|hoping|hopes|has to|have to|trying"
    r"|would like|'d like|ready to|thinking (?:of|about)|buying|selling|renting|quiere|quieren"
    r"|busca|buscan|necesita|necesitan|piensa|piensan|planea|planean|tiene que|tienen que"
    r"|comprar|vender|rentar|queremos|quiero|buscamos|busco|necesitamos|necesito)\b"
)
_ALIAS: dict[str, str] = {"mum": "mom", "mother": "mom", "mommy": "mom", "mama": "mom",
                          "mami": "mom", "madre": "mom", "daddy": "dad", "father": "dad",
                          "papa": "dad", "papi": "dad", "padre": "dad", "padres": "parents"}
_HOUSEHOLD_WHO = "household"
_OWN = frozenset(("my", "our", "mi", "mis", "nuestro", "nuestra", "nuestros", "nuestras"))
# Any person named, subject or not: what a later he / she / they refers to.
_PERSON = re.compile(
    rf"\b(?P<owner>my|our|his|her|their|mi|mis|su|sus|nuestr[oa]s?|the|el|la)"
    rf" (?:[\w-]+ )?(?P<who>{_HOUSEHOLD}|{_KIN}|{_STRANGER})\b"
)
# The kin words as a match spells them ("in-?laws" is "in-laws" or "inlaws"), for the lookups
# of who a clause names.
_KIN_WORDS = frozenset(
    _ALIAS.get(spelled, spelled)
    for w in _KIN.split("|") if re.fullmatch(r"[a-z-]+(?:-\?[a-z-]+)?", w)
    for spelled in {w.replace("-?", "-"), w.replace("-?", "")}
)
_PRONOUN = re.compile(rf"\b(?:he|she|they|he's|she's|they're|hes|shes|theyre|ella|ellos|ellas"
                      rf"|{_EL_PRONOUN})\b")
_PRONOUNS = frozenset(("he", "she", "they", "he's", "she's", "they're", "hes", "shes", "theyre",
                       "ella", "ellos", "ellas", "el"))


@dataclass(frozen=True)
class Clause:
    """One clause of a message and the subject it opens with."""

    start: int
    role: Role | None  # None: the clause names no subject of its own
    who: str = ""  # the third person it opens with ("mom", "neighbors", "she")
    plan: bool = False


@dataclass(frozen=True)
class Whose:
    """Who each stretch of one message is about; ``proxies`` carries on to later messages."""

    starts: tuple[int, ...] = ()
    roles: tuple[Role, ...] = ()
    proxies: frozenset[str] = frozenset()
    own_plan: bool = False

    def role(self, pos: int) -> Role:
        """Whose words ``pos`` is in: the lead's, the person the lead writes for, or another's."""
        i = bisect.bisect_right(self.starts, pos) - 1
        return self.roles[i] if i >= 0 else "self"

    def other(self, pos: int) -> bool:
        """Is ``pos`` in a remark about someone else's life (not the search)?"""
        return bool(self.starts) and self.role(pos) == "other"


EVERYONE = Whose()


def _who(match: re.Match[str]) -> str:
    word = match.group("who") or match.group("role") or match.group("pronoun") or ""
    return _ALIAS.get(word, word)


def _clauses(text: str) -> list[Clause]:
    out: list[Clause] = []
    cuts = [(0, "")] + [(m.end(), m.group(0).strip()) for m in _BOUNDARY.finditer(text)]
    for i, (start, word) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        piece = text[start:end]
        if not piece.strip():
            continue
        reset = word in _RESETS or not word or bool(re.match(r"[.!?;\n]", word))
        m = _SUBJECT.match(piece)
        if m and m.group("who") == "son" and m.group("owner") in _SPANISH_OWNERS:
            m = None  # "nuestro tope son 420 mil": Spanish "son" (are), no English son
        plan = _states_plan(piece)
        household = bool(m and (
            (m.group("owner") in _OWN and re.fullmatch(_HOUSEHOLD, m.group("who") or ""))
            or re.match(r"(?:my|our|mi|mis|nuestr\w*|the) ", m.group("self") or "")))
        if m and (m.group("self") or household or _FOR_US.search(piece)):
            out.append(Clause(start, "self", _HOUSEHOLD_WHO if household else "", plan))
        elif m:
            out.append(Clause(start, "other", _who(m), plan))
        else:
            # no subject of its own: it continues the last one, unless it is about the lead
            # ("... it got me thinking about selling ours")
            mine = bool(_FIRST_PERSON.search(piece) or _FOR_US.search(piece))
            out.append(Clause(start, "self" if reset or mine else None, plan=plan))
    return out


_SPANISH_OWNERS = frozenset(("mi", "mis", "su", "sus", "tu", "tus", "nuestro", "nuestra",
                             "nuestros", "nuestras"))


# A plan word under a negation states no plan: "so not looking for us", "no plans to move".
_NEGATION_BEFORE = re.compile(r"(?:\b(?:not|no|never|nunca|ya no|dont|doesnt|didnt|wont|cant)"
                              r"|n't)\s+(?:[\w']+\s+)?$")
# ... nor one of an act already done: "mi tia acaba de rentar", "my dad just finished selling",
# "ya termino de vender".
DONE_BEFORE = re.compile(r"\b(?:acab(?:a|an|o|e|amos|aron|ando)|termin(?:o|e|amos|aron)) de\s+$"
                         r"|\b(?:just |already )?(?:finished|done)\s+$")


def _states_plan(piece: str) -> bool:
    """Does a clause state a plan (a plan word not under a negation, nor an act done)?"""
    return any(not _NEGATION_BEFORE.search(piece, max(0, m.start() - 24), m.start())
               and not DONE_BEFORE.search(piece, max(0, m.start() - 24), m.start())
               for m in _PLAN.finditer(piece))


def _person(m: re.Match[str]) -> tuple[Role, str]:
    who = _ALIAS.get(m.group("who"), m.group("who"))
    household = re.fullmatch(_HOUSEHOLD, m.group("who")) and (
        m.group("owner") in _OWN or m.group("who") in ("kids", "family", "children"))
    return ("self", _HOUSEHOLD_WHO) if household else ("other", who)


# The lead setting another's plan apart from their own: "mi suegra sí quiere vender, pero eso es
# cosa de ella", "my brother wants to sell but that's his business".
_DISOWN = re.compile(
    r"\b(?:that'?s|thats|that is|eso es|es)\s+(?:all |just |really |totally |solo )?"
    r"(?:(?:her|his|their) (?:own )?(?:business|problem|thing|deal)|(?:cosa|asunto|problema"
    r"|rollo) (?:de (?:ella|el|ellos|ellas)|suy[oa]s?))\b")


def _disowned(text: str, clauses: list[Clause], roles: list[tuple[Role, str]],
              named: set[str]) -> frozenset[str]:
    """The people whose plan the lead sets apart as not theirs to pursue ("eso es cosa de
    ella"), unless the lead also says they write for them."""
    m = _DISOWN.search(text)
    if m is None:
        return frozenset()
    return frozenset(who for c, (r, who) in zip(clauses, roles, strict=True)
                     if r == "other" and c.start < m.start() and who not in named)


def read_whose(text: str, proxies: frozenset[str], own_plan: bool) -> Whose:
    """Who each clause of a normalised message is about, given what earlier messages said
    (``proxies``: the people the lead writes for; ``own_plan``: the lead stated a plan)."""
    if not (proxies or _PERSON.search(text) or _PRONOUN.search(text)):
        # nobody else is named: every clause is the lead's (the common case, kept cheap)
        return Whose(proxies=proxies, own_plan=own_plan or _states_plan(text))
    clauses = _clauses(text)
    named = set(proxies)
    for m in _FOR_SOMEONE.finditer(text):
        named.add(_ALIAS.get(m.group("who"), m.group("who")))
    for m in _KIN_HOME.finditer(text):
        who = m.group("who") or m.group("who_es")
        named.add(_ALIAS.get(who, who))
    for m in _THEIR_HOME.finditer(text):  # "mi hijo se va ... queremos vender su casa"
        said = [c.role for c in clauses if c.start <= m.start() and c.role is not None]
        if not said or said[-1] != "self":
            continue  # "my friend's selling her condo": the friend's own sale, a remark
        kin = [_ALIAS.get(p.group("who"), p.group("who"))
               for p in _PERSON.finditer(text, 0, m.start()) if re.fullmatch(_KIN, p.group("who"))]
        if kin:
            named.add(kin[-1])
    if _FOR_PRONOUN.search(text):
        named.update(c.who for c in clauses if c.role == "other" and c.who in _KIN_WORDS)
    if _CHILD_OF.search(text):
        named.update(_PRONOUNS)
    # Carry a subject into the clauses that continue it; he / she / they is the person last
    # named before it ("we're moving for my wife's job, she starts in June": the lead's own).
    people = [(m.start(), _person(m)) for m in _PERSON.finditer(text)]
    roles: list[tuple[Role, str]] = []
    for clause in clauses:
        if clause.role is None:
            roles.append(roles[-1] if roles else ("self", ""))
        elif clause.role == "other" and clause.who in _PRONOUNS:
            before = [person for pos, person in people if pos < clause.start]
            # "they" with no person before it is the homes or people in general ("they all
            # need work"), not someone else's life
            plural = clause.who in ("they", "they're", "theyre", "ellos", "ellas")
            fallback: tuple[Role, str] = ("self", "") if plural and not named else (
                "other", clause.who)
            roles.append(before[-1] if before else fallback)
        else:
            roles.append((clause.role, clause.who))
    own = own_plan or any(c.plan and r == "self" for c, (r, _) in zip(clauses, roles, strict=True))
    disowned = _disowned(text, clauses, roles, named)
    if not own:  # the only plan stated is a relative's (or "she wants to sell"): the lead's search
        named.update(who for c, (r, who) in zip(clauses, roles, strict=True)
                     if c.plan and r == "other" and (who in _KIN_WORDS or who in _PRONOUNS)
                     and who not in disowned)
    final: list[Role] = []
    for role, who in roles:
        if role == "other" and (who in named or (who in _PRONOUNS and named)):
            final.append("proxy")
        else:
            final.append(role)
    starts = tuple(c.start for c in clauses)
    return Whose(starts=starts, roles=tuple(final), proxies=frozenset(named), own_plan=own)



"""Motivation: the main reason stated for moving now; the latest stated reason wins.

A baby or a growing family stays the reason even when "more room" is said too, so
``upsizing`` never replaces ``growing_family``. Moving for a job (said outright or not:
"just moved here for a job at Intel", PCS orders) is ``relocation``; moving back home or to be
near family is too, unless the message states another listed reason ("retiring near the
grandkids" is ``retirement``). Reasons are read in English and Spanish.
"""

from __future__ import annotations

import re

from .context import MessageContext
from .intent import owned_rental
from .model import Motivation
from .questions import polarity

_REASONS_RAW: tuple[tuple[Motivation, str], ...] = (
    ("relocation", r"\brelocat\w*|\btransferr?(?:ing|ed)\b|\bjob transfer\b|\bnew job\b"
                   r"|\b(?:got|accepted|took|starting|start) a (?:new )?job\b"
                   r"|\bfor (?:my|his|her|our) (?:[\w']+ )?(?:job|work)\b"
                   r"|\bmoving (?:down |up |over |out )?(?:here )?from\b"
                   r"|\bmoving (?:here )?for (?:work|a job|my job)\b"
                   r"|\b(?:job|company|employer|work) is (?:moving|relocating|transferring|sending)"
                   r" (?:me|us)\b"
                   # moved here already, for a job: "just moved here for a job at intel"
                   r"|\bmoved (?:here |down |up |over |out )?(?:from|for (?:a|the|my|his|her"
                   r"|work))\b"
                   r"|\bfor a (?:new )?(?:job|position|role) (?:at|with|in)\b"
                   r"|\b(?:job|position|role) (?:offer|opportunity) (?:in|at|with)\b"
                   r"|\bgot (?:a|the) (?:job|position|role) (?:at|in|with)\b"
                   r"|\b(?:accepted|took|starting|start|got) (?:a|an|the) (?:new )?(?:position|role"
                   r"|job offer)\b|\bnew (?:position|role) (?:at|in|with)\b"
                   # military orders
                   r"|\bpcs(?:ing|'?ed| orders| move)?\b|\bmilitary orders\b|\bgot orders\b"
                   r"|\borders to\b|\b(?:getting |being |got )?stationed (?:at|in|here|to)\b"
                   r"|\bduty station\b"
                   r"|\bpor (?:el |mi |su |nuestro )?trabajo\b|\bnuevo (?:trabajo|empleo)\b"
                   r"|\b(?:me|nos|lo|la) (?:transfieren|transfirieron|trasladan|trasladaron"
                   r"|reubican|reubicaron)\b|\breubicacion\b|\bpor una oferta de trabajo\b"
                   r"|\b(?:me|le|nos) ofrecieron (?:un )?(?:trabajo|empleo|puesto)\b"
                   r"|\b(?:me|nos|lo|la|le) (?:van a |quieren |piensan )?(?:trasladar|transferir"
                   r"|reubicar)\b|\b(?:por|el|un|mi|su|nuestro|del|al) traslado\b"
                   r"|\bcons[ie]gu\w+ (?:un )?(?:nuevo )?(?:trabajo|empleo|puesto|chamba)\b"
                   r"|\b(?:me|nos|lo|la|le|les) (?:cambiaron|cambian|van a cambiar|mandaron|mandan"
                   r"|van a mandar) (?:de (?:trabajo|oficina|plaza|sede|base) )?(?:a|para)\b"
                   r"|\b(?:me|le|nos|les) (?:salio|resulto) (?:un )?(?:nuevo )?(?:trabajo|empleo"
                   r"|puesto|chamba)\b"
                   # new work in other words: a new gig, posting, assignment, an offer with a firm
                   r"|\bnew (?:gig|posting|assignment|contract|duty station|station|residency)\b"
                   r"|\b(?:got|accepted|took|landed|starting|starts|start|matched (?:to|with)"
                   r"|offered) (?:a|an|the|my|his|her|our) (?:new )?(?:gig|posting|assignment"
                   r"|residency|fellowship|internship|placement|teaching job|nursing job)\b"
                   r"|\b(?:accepted|took|got) (?:an|a|the) offer (?:with|from|at) "
                   r"(?!(?:the )?(?:buyers?|sellers?|investors?|them|him|her)\b)"
                   r"|\b(?:me|nos|le|les) (?:dieron|dan|van a dar|ofrecen) (?:un |el )?(?:nuevo )?"
                   r"(?:puesto|trabajo|empleo|cargo)\b|\b(?:puesto|cargo|empleo|trabajo) nuevo\b"
                   # an employer (or the service) moving the lead: "my company is moving its HQ",
                   # "the army is sending us", "mi empresa me mando a trabajar a Houston"
                   r"|\b(?:company|employer|firm|work|job|hq|headquarters|army|navy"
                   r"|air force|military|marines|empresa|compania|trabajo)(?:'s)?(?: [\w']+){0,2}"
                   r" (?:is |are |has |just )?(?:moving|relocating|transferring|sending|moved"
                   r"|relocated|transferred|sent|posting|posted|stationing|me mando|nos mando"
                   r"|me manda|nos manda|me envio|nos envio|me cambio|nos cambio)\b"),
    ("growing_family", r"\bbab(?:y|ies)\b|\bexpecting\b|\bpregnan\w*|\btwins\b"
                       r"|\bgrowing family\b|\bfamily is growing\b|\bfamily'?s growing\b"
                       r"|\bnewborn\b|\b(?:kid|child|#\d|another|one|little one|number \w+)"
                       r" on the way\b"
                       r"|\b(?:el|un|otro|nuestro|mi|al|del|segundo|primer|tercer|nuevo)\s+bebes?\b"
                       r"|\bembarazad[oa]s?\b|\bgemel[oa]s\b|\bfamilia (?:esta )?creciendo"
                       r"|\bfamilia (?:crece|esta creciendo)\b|\b(?:otro|un) hijo en camino\b"
                       r"|\b(?:vamos a ser|seremos|voy a ser|van a ser)"
                       r" (?:papas|padres|mama|papa)\b"
                       r"|\bd(?:a|ar|oy|amos|ara) a luz\b|\bgiv(?:e|ing) birth\b"
                       r"|\b(?:is|she'?s|i'?m|im|we'?re|am|are) due (?:in|on|this|next|any)\b"
                       r"|\bdue date\b"),
    ("downsizing", r"\bdownsiz\w*|\bempty[\s-]?nest\w*|\bsomething smaller\b"
                   r"|\bsmaller (?:place|home|house)\b"
                   r"|\btoo (?:big|much house|much space|much for us)\b"
                   r"|\bway too much (?:house|for us|space)\b"
                   r"|\bkids (?:are )?(?:all )?(?:grown|gone|off to college|out of the house)"
                   r"|\bjust the (?:2|two) of us\b"
                   r"|\balgo mas (?:pequeno|chico|chica|pequena)\b|\bnos sobra (?:espacio|casa)\b"
                   r"|\bnido vacio\b|\bhijos ya se (?:fueron|casaron)\b"
                   r"|\b(?:casa|esta casa) (?:es |ya es )?(?:muy|demasiado) grande\b"
                   r"|\b(?:nos|me) queda (?:muy |demasiado )?grande\b|\bdemasiada casa\b"),
    ("upsizing", r"\bupsiz\w*|\bmore (?:space|room)\b|\bbigger\b|\boutgr(?:ew|own|owing)\b"
                 r"|\bcramped\b|\bout of (?:space|room)\b"
                 r"|\b(?:our|my|we)\b[^.,!?]*\btoo small\b"
                 r"|\bmas (?:grande|espacio|amplia)\b|\bse nos hace (?:muy )?(?:chica|chico|pequena"
                 r"|pequeno)\b|\b(?:nos )?queda (?:muy )?(?:chica|chico|pequena|pequeno)\b"
                 r"|\bno cabemos\b|\bbursting at the seams\b"),
    ("first_time_buyer", r"\bfirst[\s-]?time (?:home ?)?buyers?\b|\bfirst[\s-]?time buying\b"
                         r"|\bfirst (?:home|house|place)\b|\bnever owned\b"
                         r"|\bfirst (?:own |ever )?(?:condo|townhome|townhouse|apartment|property"
                         r"|purchase)\b|\bprimera compra\b"
                         r"|\bprimera (?:casa|vivienda|propiedad)\b|\bprimera vez (?:comprando"
                         r"|que compr\w+)\b|\bcompradores? primerizos?\b"
                         r"|\bprimer (?:condo|depa|departamento|apartamento|hogar|townhouse)\b"
                         r"|\b(?:compradores?|comprando|comprar|compramos|compro)"
                         r" (?:\w+ )?por primera vez\b"
                         r"|\b(?:somos|soy) (?:compradores? )?primerizos\b"
                         r"|\bnunca (?:hemos|he) (?:tenido|comprado) (?:casa|una casa)\b"),
    ("investment", r"\brent (?:it |them )?out\b|\bflip(?:s|ping|per)?\b|\bfix and flip\b"
                   r"|\bresell\w*|\brevend\w+|\bairbnb\b|\bvrbo\b|\bshort[\s-]term rental"
                   r"|\bpassive income\b|\bincome propert\w*"
                   r"|\b(?:comprar|compro|compramos|buy|buying|purchase)\b"
                   r"(?:(?!\b(?:than|instead|rather|or|vs|o|que)\b)[^.!?,]){0,40}?"
                   r"\b(?:para|to)\s+(?:rentar|alquilar|rent|lease)\b"
                   r"(?!\s+(?:for now|first|in the meantime|por ahora))"
                   r"|\b(?:buy|buying|pick up|picking up|add|adding|acquire|grow)\s+(?:a |an "
                   r"|another |some |more |a couple(?: of)? |a few |\d+ |my |our )?rentals?\b"
                   r"(?! (?:house|home|place|for us))"
                   r"|\bcash[\s-]?flow|\brental (?:income|propert\w*|investment)"
                   r"|\bas (?:a )?rentals?\b|\binvestment\b|\b(?:rentar|alquilar)l[oa]s?\b"
                   r"|\binversion\b|\bingresos? (?:por|de) (?:renta|alquiler)\b"),
    ("divorce", r"\bdivorc\w*|\bseparat(?:ed|ing|ion)\b|\bsplit(?:ting)? up\b|\bdivorci\w*"
                r"|\bseparacion\b|\bnos (?:estamos )?separ\w+"),
    ("financial_hardship", r"\blost (?:my|our|his|her) (?:jobs?|income)\b|\blaid off\b"
                           r"|\bhours (?:got )?cut\b|\bcan'?t afford (?:the|my|our|it|this"
                           r"|rent|payments?|mortgage)\b|\bcannot afford\b|\bforeclos\w*"
                           r"|\bcan'?t keep up\b|\bbehind on (?:the |my |our )?(?:mortgage"
                           r"|payments|rent|bills)\b|\bbankrupt\w*|\bmedical bills\b"
                           r"|\bfinancial(?:ly)? (?:hardship|trouble|struggl\w*)"
                           r"|\bperd(?:i|io|imos) (?:mi|el|su|nuestro) (?:trabajo|empleo)\b"
                           r"|\bno (?:podemos|puedo) pagar\b"
                           r"|\batrasad[oa]s? (?:con|en) (?:la hipoteca"
                           r"|los pagos)\b|\bejecucion hipotecaria\b|\bbancarrota\b"),
    ("retirement", r"\bretir(?:e|ed|ing|ement)\b|\bjubil\w+|\bretir(?:o|arme|arnos|ad[oa]s?)\b"
                   r"|\b(?:me|nos|se) (?:\w+ ){0,2}retir(?:o|e|amos|aron|ar|ando)\b"),
)
_REASONS: tuple[tuple[Motivation, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern)) for key, pattern in _REASONS_RAW
)
# Moving back home or to be near family: relocation, unless another reason is stated.
_NEAR_FAMILY = re.compile(
    r"\b(?:mov(?:e|ing|ed)|relocat\w*|head(?:ing)?|go(?:ing)?|get) back (?:to|home)\b"
    r"|\bback home to\b"
    r"|\b(?:to be|be|to live|move|moving|relocat\w+) (?:closer to|close to|near|nearer to"
    r"|next to) (?:family|my|our|us\b|me\b"
    r"|his|her|the (?:kids|grandkids|family)|mom|dad|parents|family)\b"
    r"|\bcloser to (?:family|(?:my|our) (?:family|parents|mom|dad|kids|daughter|son"
    r"|grandkids|sister|brother))\b"
    r"|\b(?:estar|vivir) (?:mas )?cerca de (?:mi|mis|nuestr\w+|la) (?:familia|hij[oa]s?|nietos?"
    r"|padres|mamas?|papas?|madre|padre|suegr\w+|herman\w+)\b"
    r"|\b(?:regres\w+|volv\w+|de regreso) a (?:vivir|mi (?:pais|tierra|estado)|nuestr\w+ (?:pais"
    r"|tierra|estado))\b"
)
_FAMILY = re.compile(
    r"\b(?:family|parents|mom|dad|mother|father|sister|brother|daughter|son|kids|grandkids"
    r"|in-laws|suegr\w+|padres|mamas?|papas?|herman[oa]s?|hij[oa]s?|nietos?|familia)\b")
_NEAR_THEM = re.compile(
    r"\b(?:near|close to|closer to|next to|by|cerca de)\s+(?:her|him|them|ella|el|ellos|ellas)\b"
    r"|\b(?:to be|be|estar|vivir) (?:close|closer|nearby|cerca)\b(?! (?:to|de)\b)")
_SIZE_REASONS = frozenset({"downsizing", "upsizing"})
_NOT_OURS = re.compile(r"\b(agent|realtor|broker|lender|he|she|they|boss)\s+(?:\w+\s+)?$")


def motivation_events(ctx: MessageContext) -> list[tuple[int, Motivation]]:
    """``(pos, motivation)`` reasons stated in an inbound message, in text order.

    Within one message a life event (a job move, a baby, a divorce, retirement ...) is the
    reason and "smaller" / "bigger" only its consequence, so size reasons then drop out.
    """
    out: list[tuple[int, Motivation]] = []
    text = ctx.masked
    for name, pattern in _REASONS:
        for m in pattern.finditer(text):
            if not _ours(ctx, m.start()):
                continue
            if name == "investment" and owned_rental(text, m.start()):
                continue  # "got a rental property in Leander" is what they own
            out.append((m.start(), name))
    near_family = [m.start() for m in _NEAR_FAMILY.finditer(text) if _ours(ctx, m.start())]
    # "my sister lives in Tempe and we want to buy near her", "X is where my parents are so
    # we'd want to be close": near the family member the message named
    for m in _NEAR_THEM.finditer(text):
        if _FAMILY.search(text, 0, m.start()) and _ours(ctx, m.start()):
            near_family.append(m.start())
    if near_family and not out:
        out.append((near_family[-1], "relocation"))
    if ctx.intent == "invest" and re.search(r"\brentals?\b|\b(?:rentar|alquilar)\b", text):
        out.append((len(text), "investment"))
    if ctx.question.first_home and ctx.direct and polarity(ctx.text) == "yes":
        out.append((0, "first_time_buyer"))
    if any(name not in _SIZE_REASONS for _, name in out):
        out = [(pos, name) for pos, name in out if name not in _SIZE_REASONS]
    return sorted(out, key=lambda e: e[0])


def _ours(ctx: MessageContext, pos: int) -> bool:
    """A reason of the search: the lead's, or that of the person the lead writes for; not the
    agent's, the lender's or someone else's life ("my sister just had a baby")."""
    role = ctx.whose.role(pos)
    if role == "other":
        return False
    subject = _NOT_OURS.search(ctx.masked[max(0, pos - 30) : pos])
    return subject is None or (role == "proxy" and subject.group(1) in ("he", "she", "they"))


def apply_motivation(current: Motivation | None, new: Motivation) -> Motivation:
    """Latest reason wins, except that "more room" never replaces a growing family."""
    if current == "growing_family" and new == "upsizing":
        return current
    return new

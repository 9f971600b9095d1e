"""Must-haves: features the lead requires, with synonyms, declines, withdrawals and hedges.

"don't need a pool" and "scratch the pool" withdraw a feature; "a pool would be nice",
"bonus if", "if possible" are wishes, not requirements, and change nothing.
"""

from __future__ import annotations

import re

from .context import MessageContext
from .model import MustHave
from .questions import polarity

_FEATURES_RAW: tuple[tuple[MustHave, str], ...] = (
    ("pool", r"\b(?:swimming |private |in-?ground )?pool\b(?! table| hall)"),
    ("garage", r"\bgarage\b"),
    ("yard", r"\b(?:back ?yard|front ?yard|yard)s?\b(?! sale)"),
    ("basement", r"\bbasement\b"),
    ("home_office", r"\bhome office\b|\boffice space\b"
                    # a room beside the bedrooms: "2br + office", "3 bedrooms and an office"
                    r"|(?:\+|\bplus\b|&|\b(?:bed(?:room)?s?|br|bd|bdrm)\s+(?:and|with"
                    r"|w/))\s*(?:an?\s+)?"
                    r"office\b"
                    r"|\boffice\b(?! (?:is (?:in|at|downtown|near|close|far)|in|at|downtown"
                    r"|building|park|job))"),
    ("single_story", r"\bsingle[\s-]?stor(?:y|ey)\b|\bone[\s-]?stor(?:y|ey)\b"
                     r"|\bsingle[\s-]?level\b|\bone[\s-]?level\b|\branch\b|\bno stairs\b"
                     r"|\b1[\s-]?stor(?:y|ey)\b"),
    ("new_construction", r"\bnew[\s-]?construction\b|\bnew[\s-]?builds?\b|\bnewly built\b"
                         r"|\bbrand[\s-]new (?:home|house|build)"),
    ("waterfront", r"\bwater[\s-]?front\b|\bon the water\b|\b(?:lake|beach|ocean|bay|river"
                   r"|canal)[\s-]?front\b|\bon the lake\b"),
    ("good_schools", r"\b(?:good|great|top|top[\s-]rated|best|excellent|strong|highly[\s-]rated"
                     r"|blue[\s-]ribbon|top[\s-]notch|decent)\s+(?:public\s+)?"
                     r"(?:schools?|school distr\w*)\b|\bschools? (?:are|is) (?:a must|key"
                     r"|important|a priority|a big deal|everything)|\bschools matter\b"),
    ("updated_kitchen", r"\b(?:updated|renovated|remodeled|remodelled|modern|new|redone)"
                        r"\s+kitchen\b|\bkitchen (?:has to|needs to|must|should) be "
                        r"(?:updated|renovated|remodeled|modern|redone)\b"),
    # an HOA under a close negation ("no hoa", "nothing with an hoa", "que no tenga hoa", "nada
    # de hoa", "cero hoa") or a verdict against it ("an hoa is a dealbreaker")
    ("no_hoa", r"\b(?:no|not|nothing|none|zero|cero|nada|ningun\w*|ni|sin|without|non)[\s-]+"
               r"(?:(?:with|in|con|de|tenga|tengan|tiene|have|has)\s+)?(?:(?:an?|any|una?|el|la"
               r"|cuotas? de)\s+)?hoas?\b|\bhoa[\s-]free\b"
               r"|\b(?:don'?t|dont|do not|won'?t) (?:want|do|need|pay) (?:an? |any )?hoas?\b"
               r"|\bhoas?\s+(?:is|are|would be|es|seria)\s+(?:a\s+|an\s+|un\s+)?"
               r"(?:(?:total|real|big|absolute)\s+)?(?:deal[\s-]?breaker|no[\s-]go|hard no"
               r"|hard pass|non[\s-]starter)\b"),
)
# The same features in Spanish (accents folded): "alberca", "patio grande", "de una planta".
_FEATURES_ES: dict[MustHave, str] = {
    "pool": r"\balbercas?\b|\bpiscinas?\b|\bpiletas?\b",
    "garage": r"\bgarajes?\b|\bcocheras?\b",
    "yard": r"\bjardin(?:es)?\b|\byardas?\b|\bpatios?\b",  # "patio": Spanish only, see below
    "basement": r"\bsotanos?\b",
    "home_office": r"\boficina en casa\b|\b(?:espacio|cuarto) para (?:una )?oficina\b",
    "single_story": r"\b(?:una|un) (?:sola )?(?:planta|nivel|piso)\b|\bun solo (?:piso|nivel)\b"
                    r"|\bsin escaleras\b",
    "new_construction": r"\bconstruccion nueva\b|\bnueva construccion\b|\brecien construidas?\b"
                        r"|\bobra nueva\b",
    "waterfront": r"\bfrente al (?:agua|lago|mar|rio|canal)\b|\ba la orilla del (?:lago|mar|rio)\b",
    "good_schools": r"\b(?:buen[oa]s?|mejores|excelentes) (?:escuelas|distritos? escolar\w*)\b"
                    r"|\bescuelas (?:buenas|de calidad)\b",
    "updated_kitchen": r"\bcocina (?:remodelada|actualizada|moderna|renovada|nueva)\b",
    "no_hoa": r"\bsin (?:cuotas? de )?(?:hoa|asociacion)\b|\bno (?:quiero|queremos) (?:hoa"
              r"|asociacion)\b",
}
_FEATURES: tuple[tuple[MustHave, re.Pattern[str]], ...] = tuple(
    (key, re.compile(f"{pattern}|{_FEATURES_ES[key]}")) for key, pattern in _FEATURES_RAW
)
# A word each feature's phrasings all contain, so the regex runs only where it can match.
_GATE: dict[MustHave, tuple[str, ...]] = {
    "pool": ("pool", "alberca", "piscina", "pileta"),
    "garage": ("garage", "garaje", "cochera"),
    "yard": ("yard", "patio", "jardin"),
    "basement": ("basement", "sotano"),
    "home_office": ("office", "oficina"),
    "single_story": ("stor", "level", "ranch", "stairs", "planta", "piso", "nivel", "escaleras"),
    "new_construction": ("new", "built", "build", "construc", "obra"),
    "waterfront": ("water", "front", "on the lake", "frente al", "orilla"),
    "good_schools": ("school", "escuela", "escolar"),
    "updated_kitchen": ("kitchen", "cocina"),
    "no_hoa": ("hoa", "asociacion"),
}
# "the Phoenix office", "our whole office", "my office": a workplace, not a home office.
_WORKPLACE_BEFORE = re.compile(
    r"\b(?:the|my|our|his|her|their|your|its|company'?s?|corporate|regional|head|main"
    r"|post|box)\s+(?:[\w'-]+\s+){0,2}$"
)
_HEDGE = re.compile(
    r"\bbe (?:nice|great|cool|a (?:bonus|plus)|ideal)\b|\bif possible\b|\bbonus\b"
    r"|nice to have|not required|not a (?:dealbreaker|deal breaker|must|requirement)"
    r"|\bprefer(?:red|ably)?\b|\bperfer\b|\bideally\b|\ba plus\b|wouldn'?t hurt|\bif we can\b"
    r"|\bnot necessary\b|\boptional\b"
    # a feature as the condition of something else: "can go up to 700 if it's on the water"
    r"|\bif (?:it'?s|it is|it has|there'?s|there is|the (?:house|home|place) (?:is|has))\b"
    r"|\bmaybe\b|\bwould love\b|\bnice if\b|\bopen to\b"
    r"|\bi'?d love\b|\bwe'?d love\b|\bhopefully\b|\bif we'?re lucky\b"
    r"|\bde preferencia\b|\bpreferibl\w*|\bidealmente\b|\bsi es posible\b|\bsi se puede\b"
    r"|\bseria (?:bueno|ideal|genial|un plus)\b|\bestaria bien\b|\bojala\b|\bun plus\b"
    r"|\bno es (?:necesario|indispensable|obligatorio)\b|\bopcional\b|\btal vez\b"
    r"|\bquizas?\b|\bnos gustaria\b|\bme gustaria\b|\bno importa\b"
)
_HEDGE_AFTER_BUT = re.compile(
    r"^[^.!?]*?\bbut\b[^.!?]*?\b(?:not (?:a must|required|necessary|needed|a dealbreaker"
    r"|a deal breaker|essential|mandatory)|optional|can live without)"
)
_NEGATION = re.compile(
    r"(?:\bdon'?t|\bdont|\bdo not|\bdoesn'?t|\bno need for|\bnever|\bwithout"
    r"|\bscratch|\bforget(?: about)?|\bskip|\bdrop|\bremove|\bnix|\bno longer|\bwon'?t need"
    r"|\bwont need|\brather not|\binstead of|\bno (?:necesito|necesitamos|quiero|queremos)"
    r"|\bya no|\bolvida|\bquita|\bno hace falta|\bsin)\b(?:(?!\b(?:but|pero)\b)[^,.;])*$"
    # "stop sending pool homes", "no more pool homes": the next words only
    r"|\b(?:stop (?:send|show)\w*(?: me| us)?|no more|dej\w+ de (?:mandar|enviar|mostrar)\w*)"
    r"\s+(?:[\w-]+\s+){0,2}$"
    r"|\b(?:no|not)\s+(?:a |an |the |any |un |una )?(?:[\w-]+\s+)?$"
)
_NEGATION_AFTER = re.compile(
    r"^\W*(?:is|are)?\s*(?:not (?:needed|necessary|required|a must|important|a priority)"
    r"|unnecessary|off the list|is out\b|out\b)"
)
_CURRENT = re.compile(
    r"\b(?:we|i|it|our \w+|my \w+|the house|the home|the place)\s+(?:already\s+)?"
    r"(?:has|have|had|own)(?:\s+got)?\s+(?:a |an |the )?(?:[\w-]+\s+)?$"
    # "selling our 4 bedroom with a pool": a feature of the lead's own home, not a wish.
    r"|\b(?:our|my)\s+(?!(?:next|new|future|dream|ideal|perfect|own)\b)(?:[\w-]+\s+){0,3}?"
    r"with\s+(?:a |an |the )?(?:[\w-]+\s+)?$"
    r"|\b(?:tiene|tenemos|tengo|ya tiene)\s+(?:un |una |el |la )?(?:[\w-]+\s+)?$"
)
_YES_NO_QUESTION = re.compile(
    r"\b(?:do|does|would|will|is|are|must|should)\s+(?:you|it|they|y'?all|a|an|the)\b"
)
_LISTING_QUESTION = re.compile(r"\b(?:does it|does the \w+|is there|how big|how many)\b")


def feature_events(ctx: MessageContext) -> list[tuple[int, MustHave, bool]]:
    """``(pos, feature, required)`` statements; ``required=False`` withdraws the feature."""
    if not ctx.may_name_next_home:
        return []
    text = ctx.masked
    out: list[tuple[int, MustHave, bool]] = []
    for name, pattern in _FEATURES:
        if not any(word in text for word in _GATE[name]):
            continue  # cheap gate: most messages name one feature or none
        for m in pattern.finditer(text):
            if m.group(0).startswith("patio") and not ctx.spanish:
                continue  # an English patio is a paved terrace, not a yard
            clause = ctx.segments.clause_text(m.start())
            before = ctx.segments.clause_before(m.start())
            after = ctx.segments.clause_after(m.end())
            sentence = ctx.segments.sentence_text(m.start())
            if m.group(0) == "office" and _WORKPLACE_BEFORE.search(before):
                continue
            if _CURRENT.search(before) or ctx.home_now(m.start()) or ctx.others(m.start()) or (
                "?" in sentence and _LISTING_QUESTION.search(sentence)
            ):
                continue
            negated = (name != "no_hoa" and bool(_NEGATION.search(before))) or bool(
                _NEGATION_AFTER.match(after)
            )
            if negated:
                out.append((m.start(), name, False))
            elif not (_HEDGE.search(clause) or _HEDGE_AFTER_BUT.match(text[m.end() :])):
                out.append((m.start(), name, True))
    out.extend(_answered_feature(ctx))
    return sorted((e for e in out if not ctx.describes_sold_home(e[0])), key=lambda e: e[0])


def _answered_feature(ctx: MessageContext) -> list[tuple[int, MustHave, bool]]:
    """"Do you need a garage?" -> "yes" requires it; "no" declines it (one feature asked)."""
    asked = ctx.question.asked
    hedged = _HEDGE.search(asked) or re.search(r"\b(?:nice|a plus|wish)\b", asked)
    # (a closed question has an echo; once its yes or no was given, a later "no" answers nothing)
    if not (ctx.direct and ctx.question.echo and _YES_NO_QUESTION.search(asked)) or hedged:
        return []
    named = [name for name, pattern in _FEATURES if pattern.search(asked)]
    answer = polarity(ctx.text)
    if len(named) != 1 or answer is None:
        return []
    return [(-1, named[0], answer == "yes")]

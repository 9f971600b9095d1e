"""Intent: buy / sell / buy_and_sell / rent / invest, only when the lead plainly says it.

A message yields positioned signals, each read in its scope: a negated one ("I'm not
selling", "no queremos rentar") states nothing and withdraws that intent; a deferred one
("we'll buy later", "before deciding where to buy", "not ready to buy yet") yields to the
current plan ("rent for now"), as SPEC's "intent is the current plan" rules.
:func:`merge_intent` folds a message's result into the running intent (selling after buying
makes ``buy_and_sell``, renting replaces buying).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .given_up import GivenUp, given_up_spans, inside
from .model import Intent
from .questions import Question, polarity
from .timeline import reads_as_browsing
from .whose import DONE_BEFORE, EVERYONE, Whose

_BUY = re.compile(
    r"\b(?:buy|buying|purchase|purchasing|homebuyers?)\b"
    r"|\b(?:cash|first[\s-]?time|we'?re|i'?m|im|are|serious|ready)\s+(?:a\s+)?(?:home\s?)?buyers?\b"
    r"|\bbecome (?:home\s?)?owners\b|\b(?:ser|volvernos|hacernos) propietarios\b"
    r"|\bbuyers? here\b|\bfirst (?:home|house)\b"
    r"|\b(?:house|home)[\s-]hunting\b|\bin the market for\b"
    r"|\b(?:make|put|putting|write|writing|submit|submitting|place|making)\s+(?:in\s+)?an? offer\b"
    r"|\bhacer una oferta\b"
    # owning instead of renting: "we'd like to finally own", "algo propio", "casa propia"
    r"|\b(?:to|finally|ready to|wanna|want to)\s+own\b(?!\s+(?:business|company|up))"
    r"|\b(?:algo|casa|vivienda|hogar) propi[oa]\b|\band own (?:something|a |our |my |one)"
    r"|\b(?:stop|quit|done|done with|tired of|sick of|get out of|getting out of|over)"
    r" (?:renting|paying rent|being renters?)\b|\b(?:to|into|start|towards?) owning\b"
    r"|\bget(?:ting)? into the (?:housing |real estate |home )?market\b"
    r"|\b(?:something|somewhere|a place|a home|a house|one) (?:we|i) (?:can )?own\b"
    r"|\ba (?:place|home|house) of (?:our|my) own\b|\bpropi[oa] (?:casa|vivienda|hogar)\b"
    # asking what there is: "any lots in fuquay?", "do you have any condos downtown?", "hay
    # casas en Doral?" (a question about homes, not about rentals)
    r"|\b(?:any|hay|tienen|tiene)\s+(?:[\w@-]+\s+){0,2}?(?:homes|houses|lots|land|acreage|condos"
    r"|townhomes|townhouses|listings|properties|duplexes|casas|terrenos|lotes|propiedades)\b"
    r"(?=[^.!?]*\?)(?![^.!?]*\b(?:rent|rental|rentals|lease|renta|rentar|alquiler)\b)"
    r"|\b(?:dejar de|cansad[oa]s? de|hart[oa]s? de) (?:rentar|alquilar|pagar renta)\b"
    r"|\b(?:home|house|condo)[\s-]shopping\b|\bshopping for (?:a|an|our|my)\s+(?:[\w-]+\s+)?"
    r"(?:home|house|condo|townhome|townhouse|place|property)\b"
    r"|\bcompradores? (?:\w+ )?por primera vez\b"

    r"|\bget (?:a|an)\s+(?:[\w-]+\s+){0,2}(?:condo|house|home|townhome|townhouse|place)\b"
    r"|\b(?:any|homes|houses|condos|townhomes|townhouses|lots|properties|land|listings|\w+ homes)"
    r"\s+(?:\w+\s+)?for sale\b"
    # asking what is for sale: "what's for sale in Apex", "any houses on the market in Cary?"
    r"|\bwhat'?s (?:\w+\s+)?(?:for sale|on the market)\b"
    r"|\b(?:any|anything|homes|houses|condos|townhomes|townhouses|properties|listings)\s+"
    r"(?:\w+\s+)?on the market\b"
    r"|\b(?:any|got|have)\s+(?:land|lots?|acreage|terrenos?|lotes?)\b[^.?!]{0,20}?\b(?:available"
    r"|disponibles?)\b"
    r"|\bclos(?:e|ing) on (?:a|an)\s+(?:[\w-]+\s+)?(?:house|home|condo|townhome|townhouse|place)\b"
    r"|\b(?<!ya )compr(?:ar|arla|arlo|arme|arnos|arle|arles|amos|ando|aria|ariamos|o)\b"
    r"|\bprimera casa\b"
    r"|\b(?<!poner )(?<!pongo )(?<!ponemos )(?<!ponerla )(?<!ponerlo )(?<!poner la )(?<!poner el )"
    r"(?<!poner mi )(?<!poner mis )(?<!poner nuestra )(?<!poner nuestro )"
    # "mi casa esta a la venta" is the lead's own home for sale, not a home they ask about
    r"(?<!\bmi )(?<!\bmis )(?<!\bsu )(?<!\bnuestra )(?<!\bnuestro )"
    # ("la casa está en venta" says a home is for sale: a statement, asking about none)
    r"(?:casas?|propiedades|terrenos?|lotes?|condos?|departamentos?)\s+"
    r"(?:(?!(?:esta|estan|ya|sigue|siguen)\b)\w+\s+)?(?:en|de|a la) venta\b|\badquirir\b"
    # (a lone "primeriza" is as often a first-time mother: the singular only said of buying)
    r"|\bcompradores? primerizos?\b|\b(?:somos|soy) primeriz(?:os|as|[oa] (?:comprando"
    r"|en comprar|compradora?))\b"
)
# A rental the lead has already is what they own, not a plan: "got a rental property in Leander".
# Selling said other ways: "a townhome we need to unload", "cashing out of our house".
_UNLOAD = re.compile(r"\b(?:unload|unloading|offload|offloading|off-load|get(?:ting)? rid of"
                     r"|part(?:ing)? with|cash(?:ing)? out of)\b")
_HOME_NOUN = (r"(?:house|home|place|condo|townhome|townhouse|property|land|lot|duplex|unit|casa"
              r"|depa|terreno)")
_UNLOAD_OBJECT = re.compile(rf"(?:\s+[\w@'-]+){{0,3}}?\s+{_HOME_NOUN}\b|\s+(?:it|this one"
                            rf"|that one)\b")
_UNLOAD_END = re.compile(r"\s*(?:$|[.,!?;]|\b(?:before|by|this|next|in|asap|soon|quickly|fast"
                         r"|now)\b)")
_OWNED_BEFORE = re.compile(
    r"(?:\b(?:got|have|has|own|owns|owned|had|inherited|tengo|tenemos|tiene)\s+(?:(?:a|an|one|two"
    r"|\d+|some|this|that|una?)\s+)?|\b(?:my|our|his|her|their|mi|mis|nuestra|nuestro)\s+)"
    r"(?:[\w-]+\s+)?$"
)


def mask_out(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with ``spans`` blanked (offsets kept)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


# A stay as a guest is no investment: "we stayed at an airbnb in Castle Rock".
_GUEST_STAY = re.compile(r"\b(?:stay\w*|booked|book|rent(?:ed|ing)?|vacation\w*)\s+(?:at|in)\s+"
                         r"(?:an?|the|our|my|some|this|that|una?)\s+(?:airbnb|vrbo"
                         r"|short[\s-]term rental)")


def guest_stay(text: str, start: int) -> bool:
    """Is the rental word at ``start`` a place the lead stayed in as a guest?"""
    return any(m.start() <= start < m.end()
               for m in _GUEST_STAY.finditer(text, max(0, start - 40), start + 30))


# Renting out the home the lead leaves: "rent out our current place", "keep the house and rent it
# out" -- what they own, not a purchase to rent out.
_OWN_HOME_OUT = re.compile(r"\s+(?:our|my)\s+(?:[\w@-]+\s+){0,2}?(?:house|home|place|condo|townhome"
                           r"|townhouse|unit|casa|depa)\b")
_KEEP_HOME = re.compile(r"\b(?:keep|keeping|hold onto|holding onto|hang onto|quedarnos con)\s+"
                        r"(?:our|my|the|la|nuestra)\s+(?:current\s+|old\s+)?(?:house|home|place"
                        r"|condo"
                        r"|townhome|casa)\b[^.!?]{0,25}$")


# Renting out in the present tense is a home the lead has: "a condo in tempe that we rent out",
# "I rent it out now" (not "we'd rent it out", a plan).
_RENTING_OUT_NOW = re.compile(r"\b(?:we|i)\s+(?:currently |already |still |now )?$")


def owned_rental(text: str, start: int) -> bool:
    """Is the rental named at ``start`` one the lead has ("our rental property", "rent out
    our current place", "a condo that we rent out")?"""
    if text.startswith("rent", start) and not text.startswith("rental", start):
        out = text.find("out", start, start + 14)
        if out >= 0 and _RENTING_OUT_NOW.search(text, max(0, start - 24), start):
            return True
        return out >= 0 and bool(_OWN_HOME_OUT.match(text, out + 3) or _KEEP_HOME.search(
            text, max(0, start - 60), start))
    return text.startswith("rental", start) and bool(
        _OWNED_BEFORE.search(text[max(0, start - 30) : start]))


_INSTEAD = re.compile(r"(?:instead of|rather than|en vez de|en lugar de)\s+(?:\w+\s+)?$")
_SELL = re.compile(
    r"\b(?:sell|selling)\b(?!\s+(?:me|us|you)\b)(?!\s+(?:(?:my|our|the|a|an|some|his|her)\s+)?"
    r"(?:car|truck|boat|furniture|stuff|business|company|things|items|tickets|products?)\b)"
    r"|\b(?:thinking (?:of|about)|start|before|after|consider(?:ing)?|plan(?:ning)? (?:on|to))"
    r"\s+listing\b|\blisting (?:it|in|our|my|the house|the home|this)\b"
    r"|\b(?:we|i|we've|i've|we're|we are|i'm|i am|already|just|have|is|been)\s+listed\b"
    r"|\blisted (?:our|my|it)\b"
    r"|\b(?:we'?d|we|i|i'?d|to)\s+list (?:it |at |for |in |our |my )"
    r"|\b(?:we'?re|we are|i'?m|im|i am|be|been)\s+listing (?:at|for|it|next|this)\b"
    r"|\b(?:our|my) (?:current )?listing\b(?!s)"
    # listing a home of theirs: "we're listing the scottsdale house", "listing our condo"
    r"|\b(?:we'?re|we are|i'?m|im|i am|we'?ll be|going to be)\s+listing (?:the|our|my)"
    r" (?:[\w@-]+ )?"
    r"(?:house|home|place|condo|townhome|townhouse|property)\b"
    # only a seller cuts their own price: "we dropped the price to 390"
    r"|\b(?:drop|dropped|dropping|reduce|reduced|reducing|lower|lowered|lowering|cut|cutting)"
    r" (?:the|our|my) (?:asking |list(?:ing)? )?price\b"
    r"|\b(?:want|wanna|wants|hoping|hope|ready|need|needs|plan|planning|going|gonna|looking|like"
    r"|time|about|try|trying|may|might|could|will|we'll|i'll|should)\s+(?:to\s+)?list\b"
    r"(?!\s+(?:of|for (?:me|us)|them|the (?:homes|houses)))"
    r"|\bput(?:ting)? (?:our|my|the|it|her|his|their)\b[^.!?]{0,40}?\b(?:up for sale|on sale)\b"
    # the lead's home already for sale: "our home is on the market", "had it listed", "fsbo"
    r"|\b(?:our|my) (?:[\w@-]+ )?(?:house|home|place|condo|townhome|townhouse|property|land|lot)"
    r"(?: (?:in|on|at) [\w@ -]{1,30}?)? (?:is|'s|has been|'s been|was|went|will be|goes|will go"
    # ... or about to be: "our house in morrisville is going on the market"
    r"|is going|'s going|is about to go|is coming|'s coming|comes|hits|will hit|is hitting)"
    r" (?:already |now |currently |still |been |soon )?"
    r"(?:on the market|onto the market|listed|for sale|up for sale)\b"
    r"|\b(?:had|have|has) (?:it|her|the house|the home|our (?:house|home|place)) listed\b"
    r"|\bfor sale by owner\b|\bfsbo\b"
    # buyers' offers on the lead's home: "we have an offer on our house", "ours is under contract"
    r"|\boffers? (?:on|for) (?:our|my) (?:[\w@-]+ )?(?:house|home|place|condo|townhome|townhouse"
    r"|property)\b|\b(?:our|my) (?:[\w@-]+ )?(?:house|home|place|condo|townhome|townhouse)"
    r"(?: (?:in|on) [\w@ -]{1,30}?)? (?:is|'s|went) under contract\b"
    r"|\b(?:mi|nuestra|la) (?:casa|propiedad|depa|terreno)(?: (?:en|de) [\w@ ]{1,30}?)? (?:ya )?"
    r"(?:esta|estan) (?:ya )?"
    r"(?:en venta|a la venta|listad[oa])\b"
    r"|\b(?:tenemos|tengo) (?:la|mi|nuestra) (?:casa|propiedad) (?:listada|en venta)\b"
    r"|\blist (?:our|my|his|her|their|mom'?s|dad'?s) (?:[\w-]+ ){0,2}?(?:house|home|place|condo"
    r"|townhome|townhouse|property|land|lot|duplex|unit)\b"
    r"|\bget\b[^.!?]{0,25}\bfor (?:our|my|the|his|her)\s+(?:[\w@-]+\s+)?(?:house|home|place"
    r"|condo|townhome|townhouse|property|land|lot)\b"
    r"|\bhow much\b[^.!?]{0,25}\b(?:i|we)\s+(?:could|can|would|will|might|should)\s+"
    r"(?:get|sell|list)\b"
    r"|\bcuanto (?:\w+ ){0,3}(?:den|dan|darian|pagarian|pagan|saco|sacaria|sacariamos|sacamos)"
    r" (?:por|de) (?:mi|nuestra|nuestro|la|el) (?:casa|propiedad|depa|departamento|terreno|condo)\b"
    r"|\bhow much (?:could|can|would|will) (?:i|we) get for\b"
    # the sale of the lead's home under way: "we close on the sale of our house jan 15" (not
    # money "from the sale of our house", a sale done)
    r"|\b(?<!from )(?<!with )(?:the )?sale of (?:our|my) (?:current |old |own )?"
    r"(?:house|home|place|condo|townhome|townhouse|property)\b"
    r"|\b(?<!de )(?<!con )la venta de (?:nuestra|mi) (?:casa|propiedad|depa)\b"
    # the Spanish of "get X for our house": "sacar unos 450 mil por la casa"
    r"|\b(?:sacar|sacarle|obtener|pedir|recibir)\b[^.!?]{0,30}?\bpor (?:la|mi|nuestra|nuestro|el)"
    r" (?:casa|propiedad|depa|departamento|terreno|condo|townhouse)\b"
    r"|\bhoping to get \S+ for (?:the|our|my|it)\b|\blist for\b"
    r"|\b(?:put(?:ting)?|get(?:ting)?|place|placing)\s+(?:our|my|the"
    r"|it)\b[^.!?]{0,40}?\bon the market\b"
    r"|\bvend(?:er|erla|erlo|erlas|emos|iendo|eria|eriamos|o)\b"
    r"|\bponer(?:la|lo)?\s+(?:[\w@]+\s+){0,4}?(?:en|a la) venta\b"
)
# The lead's sale said with the home as the subject, in a clause of time ("once our house sells",
# "when the condo's sold", "en cuanto se venda la casa") or in the subjunctive ("cuando vendamos").
_SALE_CLAUSE = re.compile(
    r"\b(?:once|when|after|as soon as|until|till|til|before)\s+(?:(?:our|my|the|this)\s+"
    r"(?:[\w@-]+\s+){0,2}?(?:house|home|place|condo|townhome|townhouse|property|unit)|@+|ours"
    r"|it)(?:'s|\s+is|\s+has|\s+gets)?\s+(?:sells|sold)\b"
    r"|\b(?:cuando|en cuanto|una vez que|hasta que|despues de que|apenas|antes de que)\s+"
    r"(?:se\s+vend(?:a|an)|vend(?:amos|a|an))\b")
_NOT_SELL_SUBJECT = re.compile(
    r"\b(?:landlord|owner|owners|seller|sellers|neighbors?|builder|they|he|she|they're"
    r"|dueno|duenos|vendedor|vendedores|ellos|el|ella)\b(?:\s+\w+){0,2}\s*$"
)
# Homes as the subject of "sell": "what homes are selling for", "what did the house on oak
# sell for" (but "the house is listed" is the lead's).
_HOMES_SUBJECT = re.compile(
    r"\b(?:homes|houses|properties|condos|townhomes|places|listings|things|the (?:house|home"
    r"|place|condo|one)|that (?:house|home|one)|casas|propiedades)\b(?:\s+[\w@]+){0,3}\s*$"
)
_RENT = re.compile(
    r"\b(?:to|gonna|wanna|will|we'll|i'll|going to|plan to|rather|prefer to|could)"
    r"\s+(?:probably\s+|just\s+|likely\s+|first\s+)?rent\b"
    r"(?!\s+(?:it\s+|them\s+)?out)(?!\s+for\s+\$?\d+(?!\s*(?:months?|mos?|years?|yrs?|weeks?)\b))"
    r"|\brent(?:ing)?\s+(?:a|an|something|somewhere|for now|in|first)\b(?!\s+\$?\d)"
    r"|\brent for (?:a while|a year|a bit|the first|now|\d+ (?:months|years))\b"
    r"|\b(?:do|help with|have|handle|manage|any)\s+(?:[\w-]+\s+){0,3}rentals\b"
    r"|\b(?:what|which)\s+(?:[\w-]+\s+){0,2}rentals?\b(?=[^.!?]*\?)"
    r"|\b(?:look\w{0,3}|lookng|lokking|need|needs|want|wants|find|finding|searching)\s+"
    # "find him a rental", "need another rental"
    r"(?:(?:him|her|them|me|us)\s+)?(?:for\s+)?(?:a|an|another)\s+(?:[\w-]+\s+){0,3}?rental\b"
    r"(?!\s+(?:propert\w*|income|investment|portfolio))"
    r"|\b(?:to|gonna|wanna|will)\s+lease\b(?!\s+(?:it\s+)?out)|\bleasing (?:a|an)\b"
    r"|\b(?:looking for|need|needs|want|wants|find|sign)\s+(?:a|an)\s+(?:new\s+"
    r"|short[\s-]term\s+)?lease\b"
    r"|\b(?:anything|something|homes?|houses?|places?|apartments?|condos?|units?|townhomes?)"
    r"\s+(?:[\w@-]+\s+){0,2}?for (?:rent|lease)\b"
    r"|\b(?:rentar|alquilar|arrendar)\b(?!\s+(?:la|lo|las|los)\b)"
    r"|\b(?:keep|keep on|continue|stay)\s+renting\b|\bseguir (?:rentando|alquilando)\b"
    r"|\b(?:casas?|departamentos?|depas?|apartamentos?|algo)\s+(?:\w+\s+)?(?:en|para|de) (?:renta"
    r"|alquiler)\b"
)
# The next home rented again: "renting again", "leasing one more time", "rentando otra vez" (a
# progressive that says where they live now, "we're renting in Mesa", does not take these).
_RENT_AGAIN = re.compile(r"\b(?:rent|renting|lease|leasing|rentando|alquilando|rentar|alquilar)\s+"
                         r"(?:again|one more time|once more|otra vez|de nuevo|una vez mas)\b")
_RENT_IT_OUT = re.compile(r"\b(?:la|lo|las|los)\s+(?:(?:vamos|voy|van|queremos|quiero|pensamos"
                          r"|podemos|podriamos|vamos a|a)\s+)+$")
_NOT_RENT = re.compile(r"\b(?:we|i|currently|we're|i'm|im|still)\s+(?:currently\s+)?$")
INVEST = re.compile(
    r"\binvest(?:or|ors|ment|ments|ing)?\b|\bflip(?:s|ping|per)?\b|\bfix and flip"
    r"|\bresell\w*|\brevend\w+|\bairbnb\b|\bvrbo\b|\bshort[\s-]term rental"
    r"|\bpassive income\b|\bincome propert\w*"
    # bought to be rented: "comprar un duplex para rentar", "buy a condo to rent"
    r"|\b(?:comprar|compro|compramos|buy|buying|purchase)\b"
    r"(?:(?!\b(?:than|instead|rather|or|vs|o|que)\b)[^.!?,]){0,40}?\b(?:para|to)\s+(?:rentar"
    r"|alquilar|rent|lease)\b(?!\s+(?:for now|first|in the meantime|por ahora))"
    r"|\b(?:buy|buying|pick up|picking up|add|adding|acquire|grow)\s+(?:a |an |another |some |more "
    r"|a couple(?: of)? |a few |\d+ |my |our )?rentals?\b(?! (?:house|home|place|for us))"
    r"|\brent (?:it |them )?out\b|\brental (?:income|propert\w*|investment|portfolio)"
    r"|\bbuy[\s-]and[\s-]hold\b|\bhouse[\s-]?hack\w*|\brent (?:out )?the other(?: (?:side|unit"
    r"|half|units))?\b"
    r"|\bcash[\s-]?flow|\bas (?:a )?rentals?\b|\bhold as rentals?\b"
    r"|\binvertir\b|\binversion(?:es)?\b|\binversionistas?\b|\b(?:rentar|alquilar)l[oa]s?\b"
    r"|\b(?:add(?:ing)? to|grow(?:ing)?|expand(?:ing)?|build(?:ing)?)\s+(?:my|our)\s+(?:rental "
    r"|real estate"
    r" |investment |property )?portfolio\b"
)
# Buying a home to sell that same home again (a flip in other words): "pick up a cheap house,
# fix it up and sell it", "comprar casas para arreglarlas y venderlas". The sale's object is the
# home bought ("it", "them", an enclitic), never the lead's own home ("buy and sell our condo").
RESALE = re.compile(
    r"\b(?:buy|buying|purchase|purchasing|pick(?:ing)? up|grab|grabbing|get|getting|comprar"
    r"|compro|compramos)\b[^.!?]{0,60}?(?:,|\band\b|\bthen\b|\bto\b|\by\b|\bpara\b|\bluego\b)\s*"
    r"(?:(?:fix|fixing|redo|remodel\w*|renovat\w*|rehab\w*|flip\w*|arregl\w+|remodel\w+)"
    r"(?:\s+(?:it|them))?(?:\s+up)?\s*(?:,|\band\b|\bthen\b|\by\b|\bluego\b)\s*)?"
    r"(?:re-?)?(?:sell (?:it|them)\b|sell(?:ing)? (?:it|them) (?:again|for (?:a )?profit)\b"
    r"|vender(?:la|lo|las|los)\b)"
    # bought to resell: "compramos casas para remodelar y vender", "comprar para revender"
    r"|\b(?:comprar|compro|compramos|buy|buying)\b[^.!?]{0,40}?\bpara (?:(?:arregl\w+|remodel\w+"
    r"|renov\w+) (?:y|e) )?(?:re)?vender\w*"
    r"|\b(?:arregl\w+|remodel\w+|renov\w+)\s+(?:y|e)\s+(?:re)?vender\w*"
    r"|\b(?:fix|fixing|arregl\w+)(?:\s+(?:it|them))?(?:\s+up)?\s*(?:,|\band\b|\bthen\b|\by\b)\s*"
    r"(?:re-?)?(?:sell(?:ing)?|vender)(?:la|lo|las|los)?(?:\s+(?:it|them))?\b"
)


_SELL_FIRST = re.compile(
    r"\bsell\w*\b[^.!?]{0,60}\b(?:first|before (?:we|i) (?:can )?buy)\b"
    r"|\b(?:downsize|downsizing|upsize|upsizing|move|moving)\s+from\s+(?:our|my)\b[^.!?]{0,60}"
    r"\bto\s+(?:a|an)\b"
)
_ANSWER_WORDS: dict[str, Intent] = {
    "buy": "buy", "buying": "buy", "purchase": "buy", "sell": "sell", "selling": "sell",
    "rent": "rent", "renting": "rent", "rental": "rent", "both": "buy_and_sell",
    "investment": "invest", "invest": "invest", "investing": "invest",
    "comprar": "buy", "compra": "buy", "vender": "sell", "venta": "sell", "rentar": "rent",
    "renta": "rent", "alquilar": "rent", "ambos": "buy_and_sell", "ambas": "buy_and_sell",
    "invertir": "invest",
}
# A negation in front of an intent word: "I'm not selling", "we're not looking to rent",
# "no plans to sell", "no queremos rentar", "ya no vamos a vender".
_NEGATED = re.compile(
    r"(?:\bnot|\bnever|\bno|n't|\bdont|\bwont|\bno plans? (?:to|of|on)|\bno intention of"
    r"|\bnunca|\bya no|\btampoco)\s+(?:(?:really|actually|looking|planning|trying|going|gonna"
    r"|interested|thinking|wanting|want|wanna|able|to|in|on|of|about|be|quiero|queremos|vamos"
    r"|voy|pienso|pensamos|planeamos|estamos|estoy|buscando|pensando|me|nos|interesan?"
    r"|interesad[oa]s?|a|en|de)\s+){0,3}$"
)
# ... unless it only puts the plan off: "not planning to buy until 2028", "not ready to buy yet".
_PUT_OFF = re.compile(
    r"^\s*(?:\w+\s+){0,4}?(?:until|till|before|yet|anytime soon|right now|for now|this year"
    r"|for (?:at least |another |about |like )?(?:(?:a|an|\d+|one|two|three|four|five|six|a few"
    r"|a couple(?: of)?|several)\s+)?(?:months?|years?|while)|hasta|todavia|aun|por ahora"
    r"|este ano)\b"
)
# ... but an untimed one ("yet", "todavía") is none when the lead then says what they only do
# now: "not selling yet, just asking".
_BARE_PUT_OFF = re.compile(r"\b(?:yet|anytime soon|right now|for now|todavia|aun|por ahora)$")
_JUST_NOW = re.compile(r"^[^.!?;]{0,30}?(?:[,.;]|\s)\s*(?:(?:we|i|we're|i'm|im)\s+)?(?:just|only"
                       r"|solo|solamente|nada mas|nomas)\b")
_NOT_READY = re.compile(r"\bnot (?:quite |really )?(?:ready|prepared) to\s+(?:\w+\s+)?$"
                        r"|\btodavia no\s+(?:\w+\s+){0,2}$")
# A plan for later, which yields to the plan for now.
_LATER_AFTER = re.compile(
    r"^[^.!?;]*?\b(?:later|eventually|someday|one day|down the road|in the future|a year or two"
    r"|mas adelante|despues|luego|algun dia|a futuro)\b"
)
_LATER_BEFORE = re.compile(
    r"\b(?:before (?:deciding|we decide|figuring out)(?: \w+)? (?:to|where to|whether to|if we)"
    r"|eventually|someday|later|(?:then )?down the road|antes de decidir(?: \w+)?(?: si)?"
    r"|mas adelante|algun dia|despues|luego|mas tarde|afterwards|after that)\s+(?:\w+\s+){0,2}$"
)
_NEXT_CLAUSE = re.compile(r"[,;]|\b(?:and|but|then|so|y|pero|luego)\b")
# The plan for now: "rent for now", "rentar por ahora"; renting is also the plan for now when it
# is only for a while ("rent for a year first") -- the buying waits.
_NOW = (r"for now|for the time being|in the meantime|temporarily|por ahora|por el momento"
        r"|mientras tanto")
_NOW_AFTER = re.compile(rf"^\s*(?:\w+\s+){{0,5}}?(?:{_NOW})\b")
_NOW_AFTER_RENT = re.compile(
    rf"^\s*(?:\w+\s+){{0,5}}?(?:{_NOW}|for a while|short[\s-]term|for (?:a|one|1|the first) year"
    rf"|for (?:\d+|a few|a couple of|some|six|three) (?:months|weeks|years)|while (?:we|i) "
    rf"(?:look|search|find|save|build)"
    rf"|first|at first|initially|to start|por un tiempo|por un ano|primero|al principio"
    rf"|para empezar)\b"
)
_PROGRESSIVE = re.compile(r"(?!going\b|trying\b|planning\b|hoping\b)\w+ing\b")
_PROPERTY_WORD = re.compile(r"^\W*(?:land|a lot|lot|house|home|condo|townhome|townhouse|duplex)\b")


Status = Literal["plain", "now", "later", "negated", "given_up"]


@dataclass(frozen=True)
class Signal:
    """One intent word in its scope."""

    pos: int
    kind: Intent
    status: Status = "plain"
    hedged: bool = False  # "we might rent first", "tal vez rentar": a maybe, not a plan


def _clause_before(text: str, pos: int, reach: int = 40) -> str:
    window = text[max(0, pos - reach) : pos]
    cut = max(window.rfind(c) for c in ",.;!?")
    return window[cut + 1 :]


# A plan already carried out: "we ended up buying", "acabamos rentando" -- no plan now.
_DONE = re.compile(r"\b(?:ended up|end up|wound up|terminamos|acabamos|termine|acabe)\s+$")


def _status(text: str, start: int, end: int, kind: Intent) -> Status:
    text = text.replace("@", "x")  # a masked area name is a word of the clause
    before = _clause_before(text, start)
    after = text[end : end + 60]
    if _DONE.search(before) or DONE_BEFORE.search(before):
        return "negated"  # "we ended up buying", "acabamos de vender": done, no plan now
    if _NEGATED.search(before) and not _NOT_READY.search(before):
        put_off = _PUT_OFF.match(after)
        bare = put_off is not None and _BARE_PUT_OFF.search(put_off.group(0)) is not None
        if put_off and not reads_as_browsing(text) and not (bare and _JUST_NOW.match(after)):
            return "later"
        # "not selling yet, just curious", "no queremos vender todavía, solo queremos saber
        # cuánto vale": what they do instead is all there is, no plan at all
        return "negated"
    own = _NEXT_CLAUSE.split(after, maxsplit=1)[0]  # "rent for now and buy in a year": own part
    if _NOT_READY.search(before) or _LATER_BEFORE.search(before) or _LATER_AFTER.match(own):
        return "later"
    scope = text[start : end + 60]  # "rent for now": the marker may be inside the match
    if _PROGRESSIVE.match(scope):
        return "plain"  # "renting for now" tells where they live now, not the plan
    if _NOW_AFTER.match(scope) or (kind == "rent" and _NOW_AFTER_RENT.match(scope)):
        return "now"
    return "plain"


# Plans weighed against each other: "rent or buy?", "not sure if we should buy or rent".
_WEIGHED = re.compile(
    r"\b(?:rent|renting|buy|buying|sell|selling|rentar|comprar|vender|alquilar)\s+(?:or|vs\.?"
    r"|versus"
    r"|o)\s+(?:to\s+)?(?:rent|renting|buy|buying|sell|selling|rentar|comprar|vender|alquilar)\b"
)


_PREFERRED = re.compile(r"\b(?:rather|prefer|than|instead)\b")  # "rather buy than rent"
# Alternatives under one repeated hedge: "maybe buy maybe keep renting", "might sell it, might
# keep it", "tal vez vender, tal vez rentar" -- no plan chosen yet.
_HEDGED_PAIR = re.compile(r"\b(?P<hedge>maybe|might|perhaps|possibly|quizas|tal vez|a lo mejor)\b"
                          r"[^.!?;]{1,40}?\b(?P=hedge)\b[^.!?;,]{0,40}")
_HEDGES = ("maybe", "might", "perhaps", "possibly", "quizas", "tal vez", "a lo mejor")
# A plan inside an indirect question: "not sure if we'll buy", "no sé si vamos a comprar o no".
_UNDECIDED = re.compile(
    r"\b(?:not sure|unsure|undecided|(?:don'?t|dont|do not) know|haven'?t decided|still deciding"
    r"|deciding|no se|no sabemos|no estamos segur[oa]s|no estoy segur[oa]|no hemos decidido"
    r"|(?:todavia|aun) no (?:decidimos|sabemos|se))\s+(?:\w+\s+)?(?:if|whether|si)\b"
    r"[^.!?;]{0,50}"
    # ... or torn between plans: "torn between buying in morrisville and renting one more year"
    r"|\b(?:torn|deciding|debating|choosing|undecided|on the fence)\s+(?:between|about|on)\b"
    r"[^.!?;]{0,60}|\b(?:indecis[oa]s?|dudando|decidiendo) entre\b[^.!?;]{0,60}")
_UNDECIDED_GATE = ("sure", "know", "decid", "no se", "no sabemos", "segur", "torn", "debat",
                   "choosing", "fence", "indecis", "dudando")


def _signals(text: str, whose: Whose, given_up: tuple[GivenUp, ...]) -> list[Signal]:
    weighed = [(m.start(), m.end()) for m in _WEIGHED.finditer(text)
               if not _PREFERRED.search(text, max(0, m.start() - 25), m.end())]
    if any(text.count(hedge) > 1 for hedge in _HEDGES):
        weighed += [(m.start(), m.end()) for m in _HEDGED_PAIR.finditer(text)]
    if any(word in text for word in _UNDECIDED_GATE):
        weighed += [(m.start(), m.end()) for m in _UNDECIDED.finditer(text)]
    if weighed:  # an undecided choice states no plan; the rest of the message still may
        text = mask_out(text, weighed)
    found: list[tuple[int, int, Intent]] = []
    for m in _BUY.finditer(text):
        if not _INSTEAD.search(text[max(0, m.start() - 25) : m.start()]) and not re.match(
            r"buyer'?s'? agent", text[m.start() :]
        ):
            found.append((m.start(), m.end(), "buy"))
    for m in _SELL.finditer(text):
        proxy = whose.role(m.start()) == "proxy"  # "my mom ... she wants to sell"
        subject = _NOT_SELL_SUBJECT.search(text[max(0, m.start() - 30) : m.start()]) or (
            m.group(0).startswith("sell")
            and _HOMES_SUBJECT.search(text[max(0, m.start() - 40) : m.start()]))
        if (proxy or not subject) and not _INSTEAD.search(text[max(0, m.start() - 25) : m.start()]):
            found.append((m.start(), m.end(), "sell"))
    if "sel" in text or "sold" in text or "vend" in text:
        found.extend((m.start(), m.end(), "sell") for m in _SALE_CLAUSE.finditer(text))
    for m in _UNLOAD.finditer(text):
        sentence_start = max(text.rfind(c, 0, m.start()) for c in ".!?\n") + 1
        if _UNLOAD_OBJECT.match(text, m.end()) or (
            _UNLOAD_END.match(text, m.end())
            and re.search(rf"\b{_HOME_NOUN}\b", text[sentence_start : m.start()])
        ):
            found.append((m.start(), m.end(), "sell"))
    for m in _RENT.finditer(text):
        if _RENT_IT_OUT.search(text, max(0, m.start() - 30), m.start()):
            continue  # "la vamos a rentar": the lead's own home, rented out
        # "we rent in Mesa" is where they live; "we're gonna rent" is the plan
        if not (m.group().startswith("rent")
                and _NOT_RENT.search(text[max(0, m.start() - 20) : m.start()])):
            found.append((m.start(), m.end(), "rent"))
    if "again" in text or " more" in text or " otra" in text or " nuevo" in text or " mas" in text:
        found.extend((m.start(), m.end(), "rent") for m in _RENT_AGAIN.finditer(text))
    found.extend((m.start(), m.end(), "invest") for m in INVEST.finditer(text)
                 if not owned_rental(text, m.start()) and not guest_stay(text, m.start()))
    resales = [(m.start(), m.end()) for m in RESALE.finditer(text)]
    if resales:  # the sale of a home bought to resell is the investment, not a sale of theirs
        found = [f for f in found
                 if not (f[2] == "sell" and any(a <= f[0] < b for a, b in resales))]
        found.extend((a, b, "invest") for a, b in resales)
    found.extend((m.start(), m.end(), "buy_and_sell") for m in _SELL_FIRST.finditer(text))
    return sorted((Signal(start, kind, "given_up" if inside(given_up, start) is not None
                          else _status(text, start, end, kind),
                          _HEDGE_BEFORE.search(text, max(0, start - 30), start) is not None)
                   for start, end, kind in found if not whose.other(start)),
                  key=lambda sig: sig.pos)


# A plan only possible: "we might rent first", "maybe keep renting", "quizás rentar".
_HEDGE_BEFORE = re.compile(r"\b(?:might|maybe|possibly|perhaps|could|quizas|tal vez|a lo mejor"
                           r"|igual y|podriamos|puede que)\s+(?:[\w']+\s+){0,2}$")


# "the first one", "the latter", "la segunda opcion": an option of a choice question by its place.
_ORDINAL_ANSWER = re.compile(
    r"^\W*(?:[\w']+\W+){0,2}?(?:the |option |opcion |la |el |lo )?(?:(?P<first>first|1st|former"
    r"|primer[ao]?|#1)|(?P<second>second|2nd|segund[ao]|#2)|(?P<third>third|3rd|tercer[ao]?"
    r"|#3)|(?P<last>latter|last|ultim[ao]))\b(?!\s*(?:time|home|house|casa|vez|bed|br))"
)


_TO_LIVE_IN = re.compile(r"\W*(?:(?:\w+\W+){0,2}?)(?:to live in|live in it|primary"
                         r"|our (?:own )?home"
                         r"|(?:a )?residence|for (?:us|ourselves|me|myself|my family|our family)"
                         r"|owner[\s-]occupied|para vivir|vivienda|para nosotros)\b")


def _ordinal_option(text: str, options: tuple[str, ...]) -> Intent | None:
    m = _ORDINAL_ANSWER.match(text)
    if not m or not options:
        return None
    index = {"first": 0, "second": 1, "third": 2, "last": len(options) - 1}[m.lastgroup or ""]
    return options[index] if index < len(options) else None  # type: ignore[return-value]


def answer_intent(text: str, question: Question) -> Intent | None:
    """Intent given by a reply to a buy/sell/rent question ("rent", "both", "yes", "the first
    one")."""
    if question.intent_choice:
        first = re.match(r"\W*([a-z]+)", text)
        if first and first.group(1) in _ANSWER_WORDS:
            return _ANSWER_WORDS[first.group(1)]
        ordinal = _ordinal_option(text, question.options)
        if ordinal:
            return ordinal
        if "invest" in question.options and _TO_LIVE_IN.match(text):
            return "buy"  # "to live in or as an investment?" -> "to live in"
        if re.match(r"[^.!?,;]{0,20}\b(?:both|ambos|ambas|las dos(?: cosas)?)\b", text):
            return "buy_and_sell"  # "a bit of both", "las dos cosas"
    substantive = polarity(text) != "no" and not text.rstrip().endswith("?")
    if question.yes_intents and (
        polarity(text) == "yes"
        or (_PROPERTY_WORD.match(text) and "buy" in question.yes_intents)
        or (question.wh_intent and substantive and not reads_as_browsing(text))
    ):
        if "buy_and_sell" in question.yes_intents or {"buy", "sell"} <= set(question.yes_intents):
            return "buy_and_sell"  # "Do you need to sell before you buy?" -> "yes"
        return question.yes_intents[0]  # type: ignore[return-value]
    if question.first_home and polarity(text) == "yes":
        return "buy"
    return None


def message_intent(text: str, question: Question, whose: Whose = EVERYONE, *,
                   given_up: tuple[GivenUp, ...] | None = None,
                   ) -> tuple[Intent | None, set[Intent]]:
    """The intent one inbound message states as the current plan (or ``None``), and the
    intents it denies ("I'm not selling"), which are withdrawn and never set. A remark about
    someone else's life ("my coworker had to sell") states none (whose.py). ``given_up``: the
    message's plans given up, when the caller has read them already (given_up.py)."""
    spans = given_up_spans(text) if given_up is None else given_up
    signals = _given_up(_signals(text, whose, spans))
    denials = [sig for sig in signals if sig.status == "negated"]
    negated = {sig.kind for sig in denials}
    # a question about a plan that the lead then denies states none: "how much could I get for
    # my house? not selling yet, just curious"
    signals = [sig for sig in signals if sig.status != "negated" and not (
        _in_question(text, sig.pos)
        and any(d.kind == sig.kind and d.pos > sig.pos for d in denials))]
    answered = answer_intent(text, question)
    if answered and answered not in negated:
        signals.insert(0, Signal(-1, answered))
    if any(sig.hedged for sig in signals):
        # a maybe yields to another plan stated plainly ("yes but we might rent first"); a sale
        # and a purchase still combine ("we might sell our house and buy in Queen Creek")
        signals = [sig for sig in signals if not sig.hedged or not any(
            not o.hedged and o.kind != sig.kind and not {o.kind, sig.kind} <= _COMBINE
            for o in signals)]
    return _current_plan(signals), negated


_COMBINE = frozenset(("buy", "sell", "buy_and_sell"))


def _given_up(signals: list[Signal]) -> list[Signal]:
    """A plan given up ("we were going to buy ... but now we just need to sell") is withdrawn
    when another plan follows it in the message; with none, it is read as said."""
    out: list[Signal] = []
    for sig in signals:
        if sig.status != "given_up":
            out.append(sig)
            continue
        replaced = any(o.pos > sig.pos and o.kind != sig.kind and o.status in ("plain", "now")
                       for o in signals)
        out.append(Signal(sig.pos, sig.kind, "negated" if replaced else "plain", sig.hedged))
    return out


def _in_question(text: str, pos: int) -> bool:
    """Is ``pos`` in a sentence that ends with a question mark?"""
    end = min((i for i in (text.find(c, pos) for c in ".!?\n") if i >= 0), default=-1)
    return end >= 0 and text[end] == "?"


def _current_plan(signals: list[Signal]) -> Intent | None:
    if not signals:
        return None
    now = [sig for sig in signals if sig.status == "now"]
    plain = [sig for sig in signals if sig.status == "plain"]
    later = [sig for sig in signals if sig.status == "later"]
    if now:
        # "rent for now, buy later": the other plans wait; selling stays part of the plan.
        chosen = now + [sig for sig in plain if sig.kind in ("sell", "invest")]
    elif plain:
        chosen = plain
        if {sig.kind for sig in plain} == {"sell"} and any(sig.kind == "buy" for sig in later):
            chosen = plain + [sig for sig in later if sig.kind == "buy"]  # sell now, buy later
    else:
        chosen = later
    kinds = {sig.kind for sig in chosen}
    if "invest" in kinds:
        return "invest"
    if "buy_and_sell" in kinds or {"buy", "sell"} <= kinds:
        return "buy_and_sell"
    return max(chosen, key=lambda sig: sig.pos).kind


def withdraw_intent(current: Intent | None, denied: set[Intent]) -> Intent | None:
    """The running intent once denied intents are taken out ("we're not selling anymore")."""
    if current is None or current in denied:
        return None
    if current == "buy_and_sell" and {"buy", "sell"} & denied:
        return None if {"buy", "sell"} <= denied else "sell" if "buy" in denied else "buy"
    return current


def merge_intent(current: Intent | None, new: Intent | None, text: str) -> Intent | None:
    """Fold a message's intent into the running one (latest wins, buy + sell combine)."""
    if new is None:
        return current
    exclusive = bool(re.search(r"instead of (?:buying|selling|renting)", text))
    if exclusive or current is None:
        return new
    if new == "buy" and current in ("sell", "buy_and_sell"):
        return "buy_and_sell"
    if new == "buy" and current == "invest":
        return "invest"
    if new == "sell" and current in ("buy", "buy_and_sell"):
        return "buy_and_sell"
    return new

"""Service-area matching: aliases as whole words, ruled-out areas and other-sense mentions.

An area counts when the lead names it as a place they want (or the home they sell). It is
removed when ruled out ("not X", "anywhere but X", "X is too far"), and ignored when named
in another sense: where the lead works, the home they rent now, where they move from, or a
street name ("1423 Gallatin Ave").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .given_up import GivenUp, given_up_spans, inside
from .model import Area
from .text import Segments, fold

Sense = Literal["want", "ruled_out", "other"]

_STREET = re.compile(
    r"^\s+(?:st|street|ave|avenue|rd|road|ln|lane|blvd|boulevard|dr|drive|ct|court|way|pkwy"
    r"|parkway|hwy|highway|pike|pl|place|cir|circle|trl|trail|ter|terrace)\b"
)
_RULED_OUT_BEFORE = re.compile(
    r"(?:\bnot a (?:big )?fan of|\bnot crazy about|\bnot into|\b(?:don'?t|dont|do not) (?:like"
    r"|love)"
    r"|\bhate|\bno me gusta|\bno nos gusta|\bnot|\banywhere but|\banything but|\bexcept"
    r"|\bexcluding|\bavoid(?:ing)?|\bcan'?t do"
    r"|\bcannot do|\bscratch|\bforget(?: about)?|\bskip|\bdrop|\bremove|\binstead of"
    r"|\brather than|\bnothing in|\bno longer(?: want)?|\bnever|\bno way|\bno to|\bnix"
    r"|\bexclude|\bcross off|\bdon'?t want|\bdont want|\bnot interested in|\bruled out"
    r"|\brule out|\bcrossed off|\bpass on"
    r"|\b(?:don'?t|dont|do not|stop|quit|no more)\s+(?:show|send)\w*(?:\s+(?:me|us))?"
    r"(?:\s+(?:anything|any homes|homes|houses|listings|places|stuff|options|condos|townhomes"
    r"|anymore))?"
    r"|\bdej\w+ de (?:mandar|enviar|mostrar)\w*(?:\s+(?:opciones|casas|propiedades|cosas"
    r"|nada|listados))?|\bno (?:me |nos )?(?:manden|envien|muestren)(?: mas)?(?:\s+(?:opciones"
    r"|casas|propiedades|cosas|nada|listados))?"
    r"|\bno more (?:homes|houses|listings|places)|\bno en|\bnada en|\bnada de|\bnada por"
    r"|\bexcepto|\bmenos"
    r"|\bya no en|\bno (?:queremos|quiero) (?:nada )?en|\bno me interesa|\bno)"
    r"\s+(?:(?:in|the|on|at|near|around|looking at|looking in|anything in|considering|en|por"
    r"|cerca de)\s+)*$"
)
_RULED_OUT_AFTER = re.compile(
    # "we love Georgetown but it's too pricey", "nos gusta X pero esta muy caro"
    r"^\s*(?:,?\s*(?:but|pero|aunque|though|tho)\s+(?:it'?s|its|it is|that'?s|they'?re)?\s*)?"
    r"(?:is|'s|are|area is|feels|seems|'s just|is just)?\s*"
    r"(?:also\s+|now\s+|just\s+|way\s+|a bit\s+|kinda\s+|honestly\s+|definitely\s+|probably\s+)*"
    r"(?:out\b(?! of)|too\s+(?:far|pricey|expensive|loud|crowded|busy|much|small|congested|"
    r"rural|remote|noisy|sketchy|old|dense|hot)|off the (?:list|table)|not an option"
    r"|not for us|a no\b|a no-go|ruled out|out of the (?:question|running)"
    r"|(?:crazy|insanely|ridiculously|super|way too) (?:expensive|pricey|high)"
    r"|(?:crazy|insane|nuts|ridiculous|outrageous|out of reach|awful|terrible|horrible|the worst"
    r"|a nightmare)\b"
    r"|isn'?t an option|is off|off limits|out of (?:our|my|the) (?:price range|budget|range)"
    r"|no longer (?:an option|in the running|on the list)|not (?:happening|doing it)"
    r"|(?:queda|esta|es) (?:muy |demasiado )?(?:lejos|caro)|no (?:nos |me )?interesa"
    r"|descartad[oa]|no es opcion|ya no"
    r"|no\s*(?:[,.;!]|$)(?!\s*(?:problem|worries))"  # "en Apex no, muy caro"
    # wanted but out of reach: "we love holly springs but can't afford it"
    r"|(?:,?\s*(?:but|pero)\s+)?(?:we|i)?\s*(?:can'?t|cannot|could never|won'?t be able to) afford"
    r"|(?:,?\s*(?:but|pero)\s+)?no (?:nos |me )?alcanza"
    r")"
)
_HOME_NOW_BEFORE = re.compile(
    # where they come from or leave: "originally from", "born in", "moving out of", "leaving"
    r"\b(?:(?:originally|born|raised|born and raised|grew up)\s+(?:from|in|near|outside|around)"
    r"|out of|leaving|leave|away from|escape|escaping|salir de|salirnos de|irnos de)\s*(?:the\s+)?$"
    r"|\b(?:grew up in|used to (?:live|rent|stay)(?: \w+)? (?:in|near|at)|(?:we"
    r"|i) lived (?:\w+ )?in"
    r"|(?:we|i) (?:currently |now |still )?live (?:[\w'.@-]+\s+){0,5}?(?:in|near)"
    r"|we're from|i'm from|im from|we're currently in|we are currently in"
    r"|(?:actualmente |ahorita |ahora )?(?:vivo|vivimos|rento|rentamos|estamos viviendo"
    r"|estoy viviendo|estamos rentando|estoy rentando) (?:[\w'.@-]+\s+){0,3}?en"
    r"|somos de|soy de)\s*(?:the\s+|el\s+|la\s+)?$"
)
# Where the lead is now: a verb or adverb of present residence ("we rent", "staying w my
# parents", "currently in a 2br", "vivimos", "ahorita") with the area after it in its clause ...
_NOW_THERE = re.compile(
    r"\b(?<!for )(?<!en )(?:live|lives|living|stay|staying|rent|rents|renting|lease|leasing|based"
    r"|(?<=we )own|(?<=i )own|(?<=already )own|(?<=still )own"
    r"|vivo|vivimos"
    r"|viven|vive|rento|rentamos|rentando|alquilamos|alquilo|alquilando|viviendo)\b(?! or\b| o\b)"
    # an adverb of now or "estamos" only with a place or a residence verb after it
    r"|\b(?:currently|right now|rn|at the moment|ahorita|actualmente|estamos|estoy)\s+(?:(?:in|at"
    r"|en)\b|(?:viviendo|rentando|living|renting|staying))"
)
# ... unless the cue is itself a plan ("looking to rent in", "vamos a rentar en") ...
_PLAN_BEFORE = re.compile(r"\b(?:to|wanna|gonna|will|'ll|'d|would|could|can|might|should|para|a"
                          r"|queremos|quiero|podemos|pensamos|want|wants)\s+(?:\w+\s+)?$")
# ... or a wish comes between it and the area ("we rent now and want to stay in Cedar Park").
_WISH = re.compile(
    r"\b(?:want|wants|wanna|looking|look|buy|buying|search\w*|need|needs|hoping|hope|move|moving"
    r"|interested|interes\w+|consider\w*|like|love|prefer|open to|stay put|queremos|quiero"
    r"|buscamos|busco|buscando|comprar|mudar\w*|necesit\w+|gustaria|preferimos"
    # the home to be built is the wanted one: "terreno para construir nuestra casa en Homestead"
    r"|build|building|construir|construyendo)\b"
)
# "we're in Durham", "I'm out in Garner", "we're in a 2 bed apartment in Kissimmee": being
# somewhere (or in a home somewhere) is where the lead is ...
_BE_IN = re.compile(r"(?:^|\W)(?:we'?re|we are|i'?m|im|i am|we've been|i've been|been)\s+"
                    r"(?:currently\s+|still\s+|now\s+|already\s+)?(?:out |up |down |over )?"
                    r"(?:in|at)\s*"
                    r"(?:(?:a|an|our|my|the|this|un|una)\s+(?:(?!market\b|for\b)[\w'/-]+\s+){0,3}?(?:apartment|apt"
                    r"|house|home|condo|townhouse|townhome|duplex|place|rental|unit|studio"
                    r"|trailer)\s+(?:in|at)\s*)?$")
# ... as is a place bought already ("just bought in Katy last month").
_BOUGHT_IN = re.compile(r"\b(?:bought|purchased|closed|compramos|compre|(?<!to )(?<!be )sold"
                        r"|vendimos|vendi"
                        # a search given up: "we were looking in Cary but now ..."
                        r"|(?:were|was|had been|have been) (?:looking|searching)|looked)"
                        r"\s+(?:[\w'-]+\s+){0,3}?"
                        r"(?:in|at|en)\s*$"
                        # moved there already: "we just moved to Durham" (not "want to be moved")
                        r"|\b(?<!be )(?<!to )(?<!get )moved (?:here |down |up |out |over )?to\s*$"
                        # "we sold our Cary house": the area names the home
                        r"|\b(?:sold|bought|closed on|purchased|vendimos)\s+(?:our|my|the|a|an|his"
                        r"|her|their)\s*$"
                        # "vendimos la casa de Helotes", "compramos el depa de Doral"
                        r"|\b(?:vendimos|vendi|compramos|compre)\s+(?:la|el|nuestra|nuestro|mi|una"
                        r"|un)\s+(?:[\w-]+\s+)?(?:de|en)\s*$"
                        r"|\b(?:me mude|me cambie) a\s*$")
# A verdict against an area said after it, anywhere in its sentence: "holly springs is nice but
# too far from work", "we toured homes in apex but didn't love it", "cary? no thanks".
_VERDICT_AFTER = re.compile(
    r"^[^.!?;]*?(?:(?<!not )(?<!isnt )(?<!isn't )(?<!never )\btoo (?:far|expensive|pricey|crowded"
    r"|rural|far out)"
    r"|\bno thanks\b|\bnot for us\b|\bdidn'?t (?:love|like) (?:it|the area)\b|\bwasn'?t for us\b"
    r"|\bnot a fan\b|\bhated it\b|\b(?:traffic|commute) (?:is|was|'s) (?:awful|terrible|bad"
    r"|horrible"
    r"|a nightmare|insane|brutal)\b|\bmuy lejos\b|\bno me gusto\b|\bno nos gusto\b)"
)
# Incidental places: "found your number on a sign in Apex", "we drove through Holly Springs",
# "vi su anuncio en Apex", "our realtor in Durham", "my kids' daycare is in Garner".
_INCIDENTAL_BEFORE = re.compile(
    r"\b(?:drove|drive|driving|passed|passing|stopped)\s+(?:through|by|in|thru)\s*$"
    r"|\b(?:sign|ad|advert\w*|billboard|flyer|post|anuncio|letrero"
    r"|open house)s?\s+(?:\w+\s+)?(?:in|at|en|near)"
    r"\s*$"
    # with a relative where they live: "vivir con mi suegra en", "staying with my parents in"
    r"|\b(?:with|con)\s+(?:my|our|mi|mis|nuestr[oa]s?)\s+(?:[\w-]+\s+)?(?:mom|dad|mother|father"
    r"|parents|sister|brother|daughter|son|in-laws|grandma|grandpa|aunt|uncle|cousin|mama|papa"
    r"|madre|padre|padres|suegr[oa]s?|herman[oa]s?|hij[oa]s?|abuel[oa]s?|ti[oa]s?|prim[oa]s?)"
    r"\s+(?:in|en|at|near)\s*$"
    r"|\b(?:realtor|agent|lender|daycare|day care|school|church|gym|doctor|dentist|store|clinic"
    r"|mall"
    r"|airport|restaurant|family|relatives|friends|in-laws|folks|parents)\s+(?:is\s+|are\s+"
    r"|lives?\s+"
    r"|live\s+)?(?:in|at|en|near|out in|up in|down in)\s*$"
)
# "only Garner", "garner only", "solo en Katy", "nothing but Apex": these areas and no others.
_ONLY_BEFORE = re.compile(r"\b(?:only|solo|solamente|unicamente|nothing but|just)\s+(?:in\s+"
                          r"|en\s+)?$")
_ONLY_AFTER = re.compile(r"\s+(?:only|solamente|nada mas|and nowhere else|y ya)\b")
# A visit, not a move: "we'll be in cary this weekend visiting family".
_VISIT_AFTER = re.compile(r"\s*(?:this weekend|today|tomorrow|tonight|next week|this week"
                          r"|for the day)?"
                          r"\s*,?\s*(?:visiting|for (?:a |the |my |our )?(?:visit|wedding|game"
                          r"|conference"
                          r"|funeral|meeting|trip|vacation))\b")
# "Cary is where we work / live now", "Doral es donde trabajo": the area in another sense.
_WHERE_WE_ARE = re.compile(
    r"\s+(?:is|'s|es)\s+where\s+(?:we|i|my \w+|our \w+|he|she|they)\s+(?:both\s+|all\s+"
    r"|currently\s+)?"
    r"(?:work|works|live|lives|rent|rents|commute|grew up|go to school|study)\b"
    r"|\s+es\s+donde\s+(?:\w+\s+)?(?:trabaj|viv|rent|estudi)\w*"
)
# A home the lead owns there now: "we own a condo in Tempe", "tenemos un terreno en Boerne".
_OWN_THERE = re.compile(
    r"\b(?:we|i)\s+(?:already\s+|still\s+|also\s+)?(?:own|have|got)\s+(?:a|an|one|two|\d+|some)"
    r"\s+(?:[\w-]+\s+)?(?:house|home|place|condo|townhome|townhouse|land|lot|rental|rentals"
    r"|propert\w+|duplex|cabin)\s+(?:in|at|near|out in)\s*$"
    r"|\b(?:tenemos|tengo|poseemos)\s+(?:ya\s+)?(?:un|una|unos|unas|dos|\d+)\s+(?:[\w-]+\s+)?"
    r"(?:casa|casas|terreno|terrenos|lote|lotes|depa|departamento|condo|propiedad|propiedades"
    r"|rancho)\s+(?:en|cerca de)\s*$"
)
# The lead's own street or neighbourhood: "what homes on my street in Round Rock go for".
_MY_STREET = re.compile(r"\b(?:my|our|mi|nuestr[oa])\s+(?:street|block|neighbou?rhood|subdivision"
                        r"|building|complex|community|calle|cuadra|colonia|vecindario|barrio)"
                        r"\s+(?:in|at|en|de)\s*$")
# "our townhouse in Cary", "nuestra casa en Katy": a home the lead owns there.
_OWNED_HOME = re.compile(
    # a home they have: "have a 4 bed in gilbert", "we own a condo in tempe"
    r"\b(?:have|own|tenemos|tengo)\s+(?:a|an|una?)\s+(?:[\w-]+\s+){0,2}?(?:house|home|place|condo"
    r"|townhouse|townhome|bed\w*|br|casa|propiedad|depa)\s+(?:in|at|en)\s*$"
    r"|\b(?:our|my|mi|nuestr[oa])\s+(?!(?:next|new|first|future|dream|forever|right|perfect|ideal"
    r"|own|primera|primer|nueva|nuevo|proxima|proximo|futura|futuro|propia)\b)(?:[\w-]+\s+)?"
    r"(?:house|home|place|condo|townhouse|townhome|property|casa|propiedad|condominio)\s+"
    r"(?:in|at|en|de)\s*$"
)
# The home whose worth the lead asks about is theirs: "cuánto vale la casa en Chandler".
_VALUED_HOME = re.compile(
    r"\b(?:cuanto (?:vale|valdria|cuesta|dan por)|worth of|value of|valor de|appraise)\s+"
    r"(?:la|el|mi|nuestra|nuestro|my|our|the)\s+(?:[\w-]+\s+)?(?:house|home|place|condo"
    r"|townhouse|townhome|property|casa|propiedad|depa)\s+(?:in|at|en|de)\s*$")
# A purchase already made there: for a seller, a home bought elsewhere is not the one sold.
_BOUGHT_ALREADY = re.compile(r"\b(?:bought|purchased|closed on|compramos|compre)\b"
                             r"(?:\s+[\w'-]+){0,3}?\s+(?:in|at|en)\s*$")
# An office that is a room of the wanted home ("2br + office"), not a workplace.
_ROOM_OFFICE = re.compile(r"(?:\+|\bplus\b|&|\b(?:bed(?:room)?s?|br|bd|bdrm)\s+(?:and|with|w/))"
                          r"\s*(?:an?\s+)?(?:home\s+)?office\b")
# An occupation at a place ("I'm a nurse at", "my husband is a teacher in") is where they work,
# unless it is a role in the search ("I'm a first-time buyer in").
_OCCUPATION = re.compile(r"\b(?:i'?m|im|i am|we'?re|we are|he'?s|she'?s|(?:my|our) \w+ is|soy|es)"
                         r" (?:a|an|un|una) (?:[\w-]+ ){1,3}(?:in|at|for|en)\s*$")
_LEAD_ROLE = re.compile(r"\b(?:buyer|seller|investor|renter|homeowner|owner|family|fan|local"
                        r"|comprador\w*|vendedor\w*|inversionista)\b")
_NOW_AFTER = re.compile(r"^\s*(?:right now|rn|currently|at the moment|for now|ahorita|actualmente"
                        r"|por ahora|por el momento)\b"
                        # a relative clause of the home now: "a house in cary we live in",
                        # "Katy, where we rent now", "la casa en Doral donde vivimos"
                        r"|^\s*,?\s*(?:that |which |where |donde |que |en (?:la|el) que )?"
                        r"(?:(?:we|i)\s+(?:currently |now |still |also )?(?:live|rent|stay"
                        r"|are renting|'re renting)|(?:ahorita |actualmente )?(?:vivimos|vivo"
                        r"|rentamos|rento))(?:\s+(?:in|at|en|now|right now|currently|ahorita"
                        r"|actualmente))*\s*(?:[.,!?;]|$)")
# Wanting the place one lives in: "we're staying in Mesa and want to buy here".
_WANT_HERE = re.compile(
    # a wish verb in any form ("buying", "upgrading", "nos quedamos") ...
    r"\b(?:want|wanna|like|hop(?:e|es|ing)|plan\w*|lov(?:e|es|ing)|prefer\w*|buy\w*|stay\w*"
    r"|look\w*|upgrad\w*|upsiz\w*|downsiz\w*|quer\w+|quier\w+|compr\w+|qued\w+|busc\w+)\b"
    r"[^.!?]{0,40}?\b(?:here|there"
    r"|aqui|ahi|alla|alli|in (?:the|this|that) area"
    r"|same (?:area|town|city|neighbou?rhood)|local(?:ly)?|en la (?:misma )?zona)\b"
    # ... or "there" first, the wish right after it: "y ahi mismo queremos comprar"
    r"|\b(?:aqui|ahi|alla|alli)(?: mismo)?\s+(?:(?:es donde|tambien|nosotros)\s+)?(?:quer\w+"
    r"|quier\w+|compr\w+|busc\w+|qued\w+)\b"
    r"|\bstay(?:ing)? put\b"
    r"|\b(?:go|goes|going|move|moving|come|coming|head|heading|get|getting)\s+back\b(?!\s+to\b)"
    r"|\b(?:volver|regresar|regresarnos)\b(?!\s+a\b)"
    r"|\b(?:want|wants|wanna|like|hoping|hope|plan\w*|prefer|love)\s+(?:to\s+)?stay\b"
    r"(?!\s+(?:with|at|close|near|nearby|within|around|in touch|on)\b)"
)
# Place names that are also ordinary words, in their ordinary sense: "social media",
# "golden retriever", "five star reviews", "liberty mutual", "sandy hair".
_WORD_SENSE_BEFORE = re.compile(
    r"\b(?:social|news|mass|print|digital|rising|gold|bald)[\s-]*$"
)
_WORD_SENSE_AFTER = re.compile(
    r"^[\s-]*(?:retrievers?|doodles?|hour|years?|anniversary|rules?|mutual|bell|scouts?"
    r"|reviews?|ratings?|service|rent-a-car|car rental|room|posts?|soil|hair)\b"
)
_OTHER_BEFORE = re.compile(
    r"(?:\b(?:work|works|working|worked|job|jobs|office|commut\w*|employer|campus"
    # (a conjunction ends the workplace's words: "a 20 min commute so georgetown or hutto")
    r"|university|hospital)\b(?:\s+(?!(?:so|or|then|asi)\b)[\w.'-]+){0,2}"
    r"|\b(?:teach|teaches|teaching|taught|nurse at|intern\w* at)\b(?:\s+[\w.'-]+){0,4}"
    # school, church: "our kids go to school in Cary" (not "good schools in Cary")
    r"|\b(?:go|goes|going|attend\w*|enrolled|study|studies|studying)\s+(?:to\s+)?(?:school|college"
    r"|church|class(?:es)?)\s+(?:in|at)"
    # past visits: "we visited Garner", "stayed in an airbnb in"
    r"|\b(?:visited|visiting|vacationed|vacationing|stayed)(?:\s+(?:at|in))?(?:\s+[\w'-]+){0,3}?"
    r"(?:\s+(?:in|at))?"
    r"|\b(?:we|i|we're|i'm|im|currently)\s+(?:currently\s+)?(?:rent|renting|lease|leasing)"
    r"(?:\s+[\w'-]+){0,3}\s+(?:in|at|near)"
    r"|\b(?:our|my)\s+(?:\d+\s*\w+\s+)?(?:rental|apartment|lease)\s+(?:is\s+)?(?:in|at|near)"
    r"|\b(?:moving|relocating|relocate|coming|moved|transferring me|transferred|moving down"
    r"|moving up|moving over)\s+(?:here\s+)?from"
    # a home bought already: "we closed on a house in Cary"
    r"|\b(?:closed on|bought|purchased|ended up buying|compramos|compre)\s+(?:(?:a|an|our|the"
    r"|una|un|nuestra)\s+)?(?:[\w-]+\s+)?(?:house|home|place|condo|townhome|townhouse|casa"
    r"|depa|departamento|one|otra|otro|another)\s+(?:in|at|en)"
    # "renting in Beaverton for now": where the lead lives now (a clause that starts so)
    r"|(?:^\W*|\b(?:and|but|so|while)\s+)(?:(?:we're|we are|i'm|im|i am|currently|still|now"
    r"|just|for now)\s+)*(?:renting|living|staying|leasing)(?:\s+[\w'-]+){0,2}?\s+(?:in|at|near)"
    r"|\b(?:trabajo|trabaja|trabajamos|trabajan) (?:[\w'-]+\s+){0,3}?en"
    r"|\b(?:nos mudamos|me mudo|nos mudaremos|venimos|vengo|nos venimos) (?:aqui )?de)"
    r"\s*(?:the\s+|el\s+|la\s+)?$"
)


# A wish under a negation, ending at the area: "don't want to stay in", "not looking in",
# "ya no busco en", "no queremos vivir en" -- the area is ruled out.
_NEGATED_WISH = re.compile(
    r"(?:\b(?:not|no|never|no longer|ya no|nunca|dont|doesnt|didnt|wont|cant)|n't)\s+"
    r"(?:[\w']+\s+){0,2}?"
    r"(?:want|wanna|like|plan\w*|look\w*|search\w*|buy\w*|live|living|stay\w*|mov(?:e|ing)"
    r"|busc\w+|quer\w+|quier\w+|viv\w+|compr\w+|qued\w+|mud\w+)\b"
    r"(?:\s+(?:to|a))?(?:\s+[\w']+)?\s+(?:in|at|near|around|en|por|cerca de)\s+"
    r"(?:the\s+|el\s+|la\s+)?$"
)
# A clause about the lead's job: "my new job starts nov 30 in McKinney", "mi trabajo queda en
# Doral" -- the area is where the job is.
_JOB_SUBJECT = re.compile(
    r"\b(?:my|our|his|her|their|mi|su|nuestr[oa])\s+(?:new\s+|nuevo\s+)?(?:job|work|office"
    r"|position|gig|company|employer|trabajo|oficina|empresa|chamba)\b"
    r"(?:(?!\b(?:and|but|so|y|pero|want\w*|look\w*|buy\w*|quier\w+|busc\w+)\b)[^,.;!?]){0,30}?"
    r"\b(?:in|at|en)\s*$"
)
# ... unless the negation only puts it off: "not looking to buy in Cary until next year".
_PUT_OFF_AFTER = re.compile(r"\s*(?:[\w@']+\s+){0,3}?(?:until|till|til|yet|anytime soon|for now"
                            r"|right now|this year|hasta|todavia|aun|por ahora)\b")
_NEGATION_BEFORE = re.compile(r"(?:\b(?:not|no|never|nunca|ya no|dont|doesnt|didnt|wont|cant)"
                              r"|n't)\s+(?:[\w']+\s+)?$")
# Near the workplace, as the wish: "want to buy closer to work in Horizon City" wants that area.
_NEAR_WORK = re.compile(r"\b(?:closer to|close to|near|nearer to|cerca del?|mas cerca del?)\s+"
                        r"(?:(?:my|our|his|her|the|mi|su)\s+)?(?:[\w']+\s+){0,2}?(?:work|job"
                        r"|office|trabajo|oficina)\s+(?:in|at|en)\s*$")
# An area naming a workplace by the noun after it ("the durham office", "their frisco campus")
# or, in Spanish, before it ("la sucursal de brandon", "la base de henderson").
_WORKPLACE_AFTER = re.compile(r"\s+(?:office|offices|campus|branch|plant|factory|hospital|base|hq"
                              r"|headquarters|facility|warehouse|clinic|lab)\b")
_WORKPLACE_OWNER = re.compile(r"\b(?:the|their|its|our|my|his|her|your|company'?s|corporate)\s*$")
_WORKPLACE_BEFORE = re.compile(r"\b(?:la|el|su|sus|nuestra|nuestro|mi)\s+(?:oficina|oficinas"
                               r"|sucursal|planta|fabrica|base|sede|corporativo|hospital|clinica"
                               r"|bodega|tienda|campus)\s+(?:de|en)\s*$")
_NEAR_BEFORE = re.compile(r"\b(?:near|close to|closer to|nearer to|by|cerca de|mas cerca de)\b")


def _workplace(text: str, before: str, end: int) -> bool:
    """Is the area the name of a workplace ("transferring me to the durham office"), which the
    lead does not ask to live near?"""
    named = bool((_WORKPLACE_AFTER.match(text, end) and _WORKPLACE_OWNER.search(before))
                 or _WORKPLACE_BEFORE.search(before))
    return named and not _NEAR_BEFORE.search(before)


# A home bought or being built already: "waiting on our new build in Wesley Chapel".
_NEW_BUILD = re.compile(r"\b(?:our|my|nuestra|mi)\s+new\s+(?:build|construction)\s+(?:in|at"
                        r"|en)\s*$|\b(?:waiting (?:on|for)|closing on|moving into|building)\s+"
                        r"(?:our|my)\s+new\s+(?:home|house|place|condo|townhome|townhouse)\s+"
                        r"(?:in|at)\s*$")


def _wants_here(rest: str) -> bool:
    """Does ``rest`` (after an area named as where the lead is) say they want to stay there,
    unless under a negation ("I live in Garland. don't want to stay in garland")?"""
    return any(not _NEGATION_BEFORE.search(rest, max(0, m.start() - 24), m.start())
               for m in _WANT_HERE.finditer(rest))


_MOVING_TO = re.compile(r"\b(?:mov(?:e|es|ing)|relocat\w*|transferr?\w*|pcs\w*|(?:me|nos) mud\w*"
                        r"|mudarnos|mudarme|mudandonos)\s+(?:back\s+|down\s+|up\s+|over\s+)?(?:to"
                        r"|a)\s*$")


@dataclass(frozen=True)
class AreaMention:
    """One alias occurrence of a service area in a message."""

    start: int
    end: int
    name: str
    sense: Sense
    # the lead's own home is there ("our townhouse in Cary"): the area of the home sold if the
    # lead later says they sell it
    owned: bool = False
    # "garner only", "solo en Katy": the wanted areas are these and no others
    only: bool = False


@lru_cache(maxsize=4096)  # a tenant's aliases recur on every message; compile each once
def _alias_pattern(alias: str) -> re.Pattern[str]:
    escaped = re.escape(fold(alias.lower().strip()))
    return re.compile(r"(?<![\w'])" + escaped + r"(?!\w)(?!'(?!s\b))")


# An area named like a season ("Spring", TX) said as the season: "this spring", "by spring",
# "spring of 2027", "spring break" -- a time, never the area ("in spring" stays the area).
_SEASONS = frozenset(("spring", "summer", "fall", "autumn", "winter", "primavera", "verano",
                      "otono", "invierno"))
_SEASON_BEFORE = re.compile(
    r"\b(?:this|next|last|by|until|till|til|before|after|early|late|mid|since|during|come"
    r"|(?:in|by|until|till|during|over|before|after|around) the|(?:end|start|beginning|middle"
    r"|rest) of|esta|este|proxima|proximo|antes de|despues de)\s+$")
_SEASON_AFTER = re.compile(r"\s*(?:of\s+|del?\s+)?20\d\d\b|\s+(?:break|semester|term|time"
                           r"|que viene|entrante)\b|\s*(?:or|and|o|y|/|-)\s*(?:spring|summer|fall"
                           r"|autumn|winter|primavera|verano|otono|invierno)\b")


def _season_sense(text: str, start: int, end: int) -> bool:
    return text[start:end] in _SEASONS and bool(
        _SEASON_BEFORE.search(text, max(0, start - 12), start) or _SEASON_AFTER.match(text, end)
        or re.search(r"\b(?:spring|summer|fall|autumn|winter|primavera|verano|otono|invierno)"
                     r"\s*(?:or|and|o|y|/|-)\s*$", text[max(0, start - 14) : start]))


def find_areas(text: str, areas: Sequence[Area]) -> list[tuple[int, int, str]]:
    """All non-overlapping alias / name matches, longest first, in text order."""
    found: list[tuple[int, int, str]] = []
    for area in areas:
        for alias in {area.name, *area.aliases}:
            if not alias.strip():
                continue
            for match in _alias_pattern(alias).finditer(text):
                if _season_sense(text, match.start(), match.end()):
                    continue
                found.append((match.start(), match.end(), area.name))
    found.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    chosen: list[tuple[int, int, str]] = []
    for cand in found:
        if all(cand[1] <= c[0] or cand[0] >= c[1] for c in chosen):
            chosen.append(cand)
    return sorted(chosen)


def _is_street(text: str, start: int, end: int, alias_text: str) -> bool:
    house_number = re.search(r"\b\d{2,6}\s+(?:[nsew]\.?\s+)?$", text[max(0, start - 10) : start])
    suffix = _STREET.match(text[end:])
    own_suffix = re.search(r"\b(?:street|st|road|rd|ave|avenue|lane|drive|way)$", alias_text)
    # "our Sugar House place" is a home; "Place" is a street only with a number or "on".
    place_ok = suffix is not None and suffix.group(0).strip() in ("place", "pl") and not (
        house_number or re.search(r"\bon\s+$", text[max(0, start - 4) : start])
    )
    if suffix and not own_suffix and not place_ok:
        return True
    return bool(house_number) and not alias_text[:1].isdigit()


def _word_sense(text: str, start: int, end: int) -> bool:
    """A place name used as an ordinary word ("social media", "golden retriever")."""
    return bool(_WORD_SENSE_BEFORE.search(text[max(0, start - 12) : start])
                or _WORD_SENSE_AFTER.match(text[end : end + 20]))


def classify_areas(
    text: str, segments: Segments, areas: Sequence[Area], *, seller: bool = False,
    remark: Callable[[int], bool] | None = None,
    found: list[tuple[int, int, str]] | None = None,
    given_up: tuple[GivenUp, ...] | None = None,
) -> list[AreaMention]:
    """Area mentions of an inbound message with the sense in which each is named.

    Where the lead lives now is a location only for a seller (it is the home being sold).
    ``remark`` tells a position in a remark about someone else's life (whose.py): an area
    named there counts only if the lead then wants it too ("my friend bought in Doral ...
    we're looking for something there").
    """
    mentions: list[AreaMention] = []
    found = find_areas(text, areas) if found is None else found  # ``found``: already matched
    second_home_lived = _lived_beside_owned(text, segments, found) if seller else frozenset()
    if given_up is None:  # "we were gonna buy in Kyle but now ...": not wanted now
        given_up = given_up_spans(text)
    for i, (start, end, name) in enumerate(found):
        before = segments.clause_before(start)
        if "compramos" in before:
            before = _in_tense(before, text[segments.sentence(start)[0] : start])
        sentence_before = text[max(segments.sentence(start)[0], start - 40) : start]
        after = segments.clause_after(end)
        sense: Sense = "want"
        if _is_street(text, start, end, text[start:end]) or _word_sense(text, start, end):
            sense = "other"
        elif _WHERE_WE_ARE.match(text, end):
            sense = "other"  # "cary is where we both work": the area is where they are
        elif _workplace(text, before, end):
            sense = "other"  # "their frisco campus": where the job is
        elif (
            _VISIT_AFTER.match(text, end)  # a visit, a sign in Apex, the realtor in Durham
            or (_INCIDENTAL_BEFORE.search(before) and not wished(before))
            or (re.match(r"\s*for (?:work|my job|the job|business)\b", after)
             and not _MOVING_TO.search(before))  # "relocating to Cary for work" moves there
            or (_OTHER_BEFORE.search(_ROOM_OFFICE.sub(lambda o: " " * len(o.group(0)), before))
                and not (_NEAR_WORK.search(before) and wished(before)))
            or _NEW_BUILD.search(before) is not None
            or (not seller and (_HOME_NOW_BEFORE.search(before) or _owned_home(before)
                                or _lives_there(before, after)))
            # a seller's home is the one sold: one bought already beside another area is not
            or (seller and len(found) > 1 and _BOUGHT_ALREADY.search(before) is not None)
            or (remark is not None and remark(start))
            or _given_up_area(given_up, start, found)
            or _JOB_SUBJECT.search(before) is not None
            # a seller living in one area and selling a home they own in another: where they
            # live is not the home sold ("I own in Summerlin ... a condo in Henderson to unload")
            or (seller and i in second_home_lived)
        ):
            # where the lead lives or works now, or someone else's place, unless the lead
            # wants it too before naming another area ("we're staying in Mesa and want to buy
            # a bigger house here")
            rest = text[end : found[i + 1][0] if i + 1 < len(found) else len(text)]
            sense = "want" if _wants_here(rest) else "other"
        elif _RULED_OUT_BEFORE.search(sentence_before) or (
                _NEGATED_WISH.search(before) and not _PUT_OFF_AFTER.match(after)) or \
                _ruled_out_after(text, segments, end, found, i):
            sense = "ruled_out"
        owned = sense == "other" and (_owned_home(before) or bool(_OWN_THERE.search(before))
                                      or bool(_VALUED_HOME.search(before)))
        only = sense == "want" and bool(_ONLY_BEFORE.search(before) or _ONLY_AFTER.match(text, end))
        mentions.append(AreaMention(start=start, end=end, name=name, sense=sense, owned=owned,
                                    only=only))
    return _spread_negation(text, mentions)


# Spanish "compramos" is a present as well as a past; after a clause of time to come ("en cuanto
# se venda la casa compramos en Roseville", "cuando nos aprueben compramos") it is the plan.
_TIME_TO_COME = re.compile(r"\b(?:cuando|en cuanto|una vez que|despues de que|apenas)\b[^.!?]*$")


def _in_tense(before: str, sentence_before: str) -> str:
    """``before`` with "compramos" read as the plan when a clause of time to come frames it."""
    if "compramos" in before and _TIME_TO_COME.search(sentence_before):
        return re.sub(r"\bcompramos\b", "vamos a comprar", before)
    return before


def _given_up_area(given_up: tuple[GivenUp, ...], start: int,
                   found: list[tuple[int, int, str]]) -> bool:
    """An area in a plan given up ("we were gonna buy in Kyle but now we're looking in Buda"):
    not wanted now, once the plan is dropped or another area follows it."""
    span = inside(given_up, start)
    return span is not None and (span.dropped or any(a >= span.end for a, _, _ in found))


def _lived_beside_owned(text: str, segments: Segments,
                        found: list[tuple[int, int, str]]) -> frozenset[int]:
    """For a seller: the mentions naming where the lead lives, when another area of the message
    names a home the lead owns ("our condo in", "I have a house in") -- that one is sold."""
    if len({name for _, _, name in found}) < 2:
        return frozenset()
    owned: set[str] = set()
    lived: list[tuple[int, str]] = []
    for i, (start, end, name) in enumerate(found):
        before = segments.clause_before(start)
        if _owned_home(before) or _OWN_THERE.search(before):
            owned.add(name)
        elif _lives_there(before, segments.clause_after(end)):
            lived.append((i, name))
    return frozenset(i for i, name in lived if owned and name not in owned)


def _ruled_out_after(text: str, segments: Segments, end: int,
                     found: list[tuple[int, int, str]], i: int) -> bool:
    """A verdict against the area after it, up to the next area: "we love Cary but it's too
    pricey"; an area asked about alone takes the next sentence's answer ("cary? no thanks")."""
    stop = found[i + 1][0] if i + 1 < len(found) else len(text)
    sentence_end = segments.sentence(end)[1]
    if text[end:sentence_end].strip() in ("?", "??"):  # "cary? no thanks"
        sentence_end = segments.sentence(min(sentence_end + 1, len(text) - 1))[1]
    rest = text[end : min(sentence_end, stop)]
    return bool(_RULED_OUT_AFTER.match(rest) or _VERDICT_AFTER.match(rest.lstrip("? ")))


# A verb acting on the lead's own home between a wish and it: "quiero rentar mi casa de Cary",
# "want to keep our place in Apex" -- the wish is for that act, not for the area.
_OWN_HOME_ACT = re.compile(r"\b(?:rent|rent out|rentar|alquilar|lease|keep|keeping|hold onto"
                           r"|quedarnos con|sell|selling|vender|list|listing)\s+$")


def _owned_home(before: str) -> bool:
    """"our townhouse in": the lead's own home, unless a wish governs it ("buy our home in")."""
    m = _OWNED_HOME.search(before)
    return m is not None and (not _WISH.search(before, 0, m.start())
                              or _OWN_HOME_ACT.search(before, 0, m.start()) is not None)


def wished(before: str) -> bool:
    """Does a clause, up to a point, state a wish ("want to", "looking", "queremos")?"""
    return bool(_WISH.search(before))


def _lives_there(before: str, after: str) -> bool:
    """Is an area named as where the lead is now (its clause up to the area: ``before``; the
    rest: ``after``)? "We're in Durham right now", "just bought in Katy" (not a seller)."""
    if _BOUGHT_IN.search(before) or _OWN_THERE.search(before) or _MY_STREET.search(before) or \
            _VALUED_HOME.search(before):
        return True
    job = _OCCUPATION.search(before)
    if job and not _LEAD_ROLE.search(job.group(0)):
        return True  # "I'm a teacher in Garner": where they work
    if (_BE_IN.search(before) or _NOW_AFTER.match(after)) and not _WISH.search(before):
        return True
    for cue in _NOW_THERE.finditer(before):
        if _PLAN_BEFORE.search(before, max(0, cue.start() - 24), cue.start()):
            continue
        if not _WISH.search(before, cue.end()):
            return True
    return False


def _spread_negation(text: str, mentions: list[AreaMention]) -> list[AreaMention]:
    """"not natomas or elk grove": a ruled-out head covers areas joined to it by "or"/"and"."""
    out = list(mentions)
    for i in range(1, len(out)):
        prev, cur = out[i - 1], out[i]
        if prev.sense == "ruled_out" and cur.sense == "want":
            gap = text[prev.end : cur.start]
            if re.fullmatch(r"\s*,?\s*(?:or|and|nor)\s+(?:the\s+)?", gap):
                out[i] = AreaMention(cur.start, cur.end, cur.name, "ruled_out")
    return out

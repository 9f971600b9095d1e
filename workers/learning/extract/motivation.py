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
from .given_up import inside
from .intent import RESALE, guest_stay, owned_rental
from .model import Motivation
from .questions import polarity
from .text import CORRECTION

_REASONS_RAW: tuple[tuple[Motivation, str], ...] = (
    ("relocation", r"\brelocat\w*|\btransferr?(?:ing|ed)\b|\bjob transfer\b|\bnew job\b"
                   r"|\b(?:got|accepted|took|starting|start) a (?:new )?job\b"
                   r"|\bfor (?:my|his|her|our) (?:[\w']+ )?(?:job|work|residency|fellowship"
                   r"|internship"
                   r"|position|new role|job offer|transfer|assignment|orders|posting)\b"
                   r"|\bmoving (?:down |up |over |out )?(?:here )?from\b"
                   # from a place named later: "moving to miami in january from new york"
                   r"|\bmov(?:e|es|ing)\b(?:\s+[\w@'-]+){1,5}?\s+from\b(?!\s+(?:our|my|the|a|an"
                   r"|this"
                   r"|that|his|her|their|a|una?|el|la|nuestr\w+|mi)\b)"
                   r"|\b(?:mov(?:e|es|ing)|com(?:e|es|ing)"
                   r"|relocat\w+)\b(?:\s+[\w@'-]+){0,4}?\s+for (?:work|a job"
                   r"|the job|a new job"
                   r"|(?:my|his|her|our) (?:[\w']+ )?(?:job|work))\b"
                   # a transfer had or asked for: "got a transfer to the austin office"
                   r"|\b(?:got|gets|getting|received|accepted|took|requested) (?:a|the|his|her|my"
                   r"|our) (?:job |work )?transfer\b"
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
                   # joining the service: "se va al ejercito", "joining the navy"
                   r"|\b(?:join\w*|enlist\w*) (?:the )?(?:army|navy|air force|marines|military"
                   r"|coast guard)\b|\b(?:se va|se fue|entra|entro|se une|se unio|se enlist\w+)"
                   r" (?:al|a la) (?:ejercito|marina|fuerza aerea|armada|militar)\b"
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
                   # a job changed: "me cambiaron de trabajo", "cambie de trabajo"
                   r"|\b(?:me|nos|lo|la|le|les) (?:cambiaron|cambian|van a cambiar) de (?:trabajo"
                   r"|oficina|plaza|sede|base|puesto)\b"
                   r"|\bcambi(?:e|o|amos|aron) de (?:trabajo|empleo|chamba)\b"
                   r"|\b(?:me|le|nos|les) (?:salio|resulto) (?:un )?(?:nuevo )?(?:trabajo|empleo"
                   r"|puesto|chamba)\b"
                   # new work in other words: a new gig, posting, assignment, an offer with a firm
                   r"|\bnew (?:gig|posting|assignment|contract|duty station|station|residency)\b"
                   r"|\b(?:got into|matched (?:at|into|to)|starting|start|doing) (?:a |her |his "
                   r"|my |our )?"
                   r"(?:residency|fellowship)\b|\bresidency (?:at|in)\b"
                   r"|\bcom(?:e|es|ing) (?:here |down |up |over )?from\b"
                   r"|\b(?:got|accepted|took|landed|starting|starts|start|matched (?:to|with)"
                   r"|offered) (?:a|an|the|my|his|her|our) (?:new )?(?:gig|posting|assignment"
                   r"|residency|fellowship|internship|placement|teaching job|nursing job)\b"
                   r"|\b(?:accepted|took|got) (?:an|a|the) offer (?:with|from|at) "
                   r"(?!(?:the )?(?:buyers?|sellers?|investors?|them|him|her)\b)"
                   r"|\b(?:me|nos|le|les) (?:dieron|dan|van a dar|ofrecen) (?:un |el )?(?:nuevo )?"
                   r"(?:puesto|trabajo|empleo|cargo)\b|\b(?:puesto|cargo|empleo|trabajo) nuevo\b"
                   # an employer (or the service) moving the lead: "my company is moving its HQ",
                   # "the army is sending us", "mi empresa me mando a trabajar a Houston"
                   # an offer or a contract with an employer: "got offered a position in
                   # orlando", "took a 2 yr contract at duke"
                   r"|\b(?:got |been |was |were |being )?offered (?:(?:me|us|him|her) )?"
                   r"(?:a|an|the) (?:new )?(?:spot|transfer|job|position"
                   r"|role|gig|posting|contract|assignment)\b"
                   r"|\b(?:took|accepted|signed|got|landed|starting|start) (?:a|an|the)"
                   r" (?:[\w-]+ ){0,3}?"
                   r"(?:contract|assignment|position|role|job)\s+(?:at|in|with)\b"
                   # hired: "a mi esposo lo contrataron en un hospital", "got hired at intel"
                   r"|\bgot hired\b|\b(?:me|nos|lo|la|le|les) (?:contrataron|contrato"
                   r"|van a contratar|contrataran)\b"
                   # an employer moving its people, however far the verb: "my company is
                   # closing the dallas office and moving everyone to austin"
                   r"|\b(?:company|employer|firm|hq|headquarters|army|navy|military|empresa"
                   r"|compania)\b[^.!?]{0,60}?\b(?:moving|relocating|transferring|sending|moved"
                   r"|relocated|transferred|sent)\s+(?:me|us|everyone|everybody|all of us"
                   r"|the (?:whole )?(?:team|office|staff|department)|our (?:whole )?(?:team|office"
                   r"|department)|(?:all )?(?:the )?(?:staff|employees))\b"
                   r"|\b(?:company|employer|firm|work|job|hq|headquarters|army|navy"
                   r"|air force|military|marines|empresa|compania|trabajo)(?:'s)?(?: [\w']+){0,2}"
                   r" (?:is |are |has |just )?(?:moving|relocating|transferring|sending|moved"
                   r"|relocated|transferred|sent|posting|posted|stationing|me mando|nos mando"
                   r"|me manda|nos manda|me envio|nos envio|me cambio|nos cambio)\b"),
    # ... or moving its office to a place: "my office is moving to Rocklin" (not "my office is
    # moving north", a remark about the commute)
    ("relocation", r"\b(?:office|oficina|empresa|compania)(?:'s)?(?: [\w']+){0,2}"
                   r" (?:is |are |has |just |will be )?"
                   r"(?:moving|relocating|moved|relocated|se (?:muda|mudo|cambia|cambio|va))"
                   r" (?:to|a|para)\b"),
    ("growing_family", r"\bbab(?:y|ies)\b|\bexpecting\b|\bpregnan\w*|\btwins\b"
                       r"|\bgrowing family\b|\bfamily is growing\b|\bfamily'?s growing\b"
                       r"|\bfamily (?:is |'s )?(?:getting bigger|expanding)\b"
                       r"|\badopt(?:ing|ed)? (?:a |an |our |two |three |\d+ )?(?:baby|child|kid"
                       r"|kids|children|son"
                       r"|daughter|siblings?)\b"
                       r"|\badoption\b|\bfoster(?:ing)? (?:kids|children|a child)\b"
                       r"|\bnewborn\b|\b(?:kid|child|#\d|another|one|little one|number \w+)"
                       r" on the way\b"
                       r"|\b(?:a|another|one more|our|new|second|third|fourth|2nd|3rd|4th)"
                       r" (?:kid|child|little one) (?:is )?(?:coming|arriving|due)\b"
                       r"|\b(?:el|un|otro|nuestro|mi|al|del|segundo|primer|tercer|nuevo|la|una"
                       r"|otra|nuestra)\s+bebes?\b"
                       r"|\bnaci(?:o|eron) (?:el|la|los|nuestr\w+|mi|mis) (?:bebe|nin[oa]|hij[oa]"
                       r"|gemel[oa]s)"
                       r"|\b(?:otro|otra|un|una|bebe|nino|nina|hijo|hija)\s+(?:\w+\s+)?en camino\b"
                       r"|\bembarazad[oa]s?\b|\bgemel[oa]s\b|\bfamilia (?:esta )?creciendo"
                       # "expecting" in Spanish: "estamos esperando bebe", "esperamos gemelos"
                       r"|\bespera(?:ndo|mos) (?:un |una |el |nuestro |nuestra |otro |otra )?"
                       r"(?:bebe|nino|nina|hijo|hija|gemel[oa]s|bebes)\b"
                       r"|\bfamilia (?:crece|esta creciendo)\b|\b(?:otro|un) hijo en camino\b"
                       r"|\b(?:vamos a ser|seremos|voy a ser|van a ser)"
                       r" (?:papas|padres|mama|papa)\b"
                       r"|\bd(?:a|ar|oy|amos|ara) a luz\b|\bgiv(?:e|ing) birth\b"
                       r"|\b(?:is|she'?s|i'?m|im|we'?re|am|are|\w+'s) due (?:in|on|this|next|any)\b"
                       r"|\bdue date\b"),
    ("downsizing", r"\bdownsiz\w*|\bempty[\s-]?nest\w*|\bsomething smaller\b"
                   r"|\bsmaller (?:place|home|house)\b"
                   r"|\btoo (?:big|much house|much space|much for us)\b"
                   r"|\btoo much (?:house |home )?to (?:keep up|maintain|take care|handle|manage"
                   r"|clean)\b"
                   r"|\bway too much (?:house|for us|space)\b"
                   # the home is more than the lead can keep: "the house is too much for me"
                   r"|\b(?:house|home|place|yard) (?:is|'s) (?:just |way |getting )?too much"
                   r"(?: for (?:me|us|the two of us))?\b"
                   r"|\bkids (?:are )?(?:all )?(?:grown|gone|off to college|out of the house)"
                   r"|\bjust the (?:2|two) of us\b"
                   r"|\bkids (?:have )?(?:all )?moved out\b|\bdon'?t need (?:all )?(?:this|that"
                   r"|so much|the)"
                   r" (?:space|room|house|square footage)\b|\bless (?:house|space|yard|upkeep"
                   r"|maintenance)\b"
                   r"|\beasier to (?:maintain|keep up|take care of)\b|\blow[\s-]maintenance\b"
                   r"|\balgo mas (?:pequeno|chico|chica|pequena)\b|\bnos sobra (?:espacio|casa)\b"
                   r"|\bnido vacio\b|\bhijos ya se (?:fueron|casaron)\b"
                   r"|\b(?:casa|esta casa) (?:es |ya es )?(?:muy|demasiado) grande\b"
                   # smaller said of the next home: "algo de un piso mas pequeno"
                   r"|\b(?<!patio )(?<!jardin )(?<!terreno )(?<!cocina )(?<!bano )mas (?:pequen[oa]"
                   r"|chic[oa])\b"
                   r"|\b(?:nos|me) queda (?:muy |demasiado )?grande\b"
                   r"|\b(?:demasiada|mucha) casa\b"),
    # bigger / larger said of the home, not of a part of it ("a bigger yard") or in a comparison
    ("upsizing", r"\bupsiz\w*|\bmore (?:space|room|square footage)\b"
                 r"|\b(?<!the )(?:bigger|larger)\b(?!\s+(?:yard|kitchen|garage|lot|closets?|bath\w*"
                 r"|master|primary|bedrooms?|backyard|pool|deck|patio|office|basement|driveway|than"
                 r"|the|living room|dining|laundry|windows|tub|shower|island|pantry)\b)"
                 r"|\boutgr(?:ew|own|owing)\b|\bupgrad(?:e|ing) to\b"
                 r"|\bcramped\b|\bout of (?:space|room)\b"
                 r"|\b(?:our|my|we)\b[^.,!?]*\btoo small\b"
                 # "más grande" of the home, not "un patio más grande"
                 r"|\b(?<!patio )(?<!cocina )(?<!jardin )(?<!cochera )(?<!garaje )(?<!terreno )"
                 r"(?<!closet )(?<!bano )(?<!sala )(?<!recamara )(?<!cuarto )"
                 r"mas (?:grande|espacio|amplia)\b|\bse nos hace (?:muy )?(?:chica|chico|pequena"
                 r"|pequeno)\b|\b(?:nos )?queda (?:muy )?(?:chica|chico|pequena|pequeno)\b"
                 r"|\bno cabemos\b|\bbursting at the seams\b|\bon top of each other\b"
                 r"|\bnot enough (?:room|space|bedrooms)\b|\bya no (?:nos )?(?:alcanza|cabemos)\b"
                 r"|\btoo (?:tight|cramped)\b"
                 r"|\b(?:need|needs|want|wants|require)\s+(?:a few |a couple |some |way "
                 r"|a lot )?more"
                 r" (?:bedrooms|rooms)\b"
                 r"|\bqued(?:o|a|aron|ado) (?:muy |bien )?(?:chic[oa]|pequen[oa])\b"),
    ("first_time_buyer", r"\bfirst[\s-]?time (?:home ?)?buyers?\b|\bfirst[\s-]?time buying\b"
                         r"|\bfirst time (?:for (?:us|me)|owning|home ?owners?)\b"
                         r"|\bfirst (?:home|house|place)\b|\bnever (?:owned|bought|purchased)\b"
                         r"|\bfirst (?:own |ever )?(?:condo|townhome|townhouse|apartment|property"
                         r"|purchase)\b|\bprimera compra\b"
                         r"|\bprimera (?:casa|vivienda|propiedad)\b|\bprimera vez (?:comprando"
                         r"|que compr\w+)\b|\bcompradores? primerizos?\b"
                         r"|\bprimer (?:condo|depa|departamento|apartamento|hogar|townhouse)\b"
                         r"|\b(?:compradores?|comprando|comprar|compramos|compro)"
                         r" (?:\w+ )?por primera vez\b"
                         r"|\b(?:somos|soy) (?:compradores? )?primeriz(?:os|as|[oa]"
                         r" (?:comprando|en comprar|compradora?))\b"
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
                   r"|\bbuy[\s-]and[\s-]hold\b|\bhouse[\s-]?hack\w*"
                   r"|\brent (?:out )?the other(?: (?:side|unit|half"
                   r"|units|ones?))?\b"
                   r"|\bas (?:a )?rentals?\b|\binvestment\b|\b(?:rentar|alquilar)l[oa]s?\b"
                   r"|\binversion\b|\bingresos? (?:por|de) (?:renta|alquiler)\b"),
    ("divorce", r"\bdivorc\w*|\bseparat(?:ed|ing|ion)\b|\bsplit(?:ting)? up\b|\bdivorci\w*"
                r"|\bseparacion\b|\bnos (?:estamos )?separ\w+"),
    ("financial_hardship", r"\blost (?:my|our|his|her) (?:jobs?|income)\b|\blaid off\b"
                           # what they pay now, not a place they want ("love holly springs
                           # but can't afford it")
                           r"|\bhours (?:got )?cut\b|\b(?:can'?t|cannot|can not) afford (?:(?:the"
                           r"|my|our) (?:[\w-]+ )?(?:rent|mortgage|payments?|bills|note|taxes|house"
                           r"|home|place)|(?:it|this|that) (?:anymore|any more|no more)|rent"
                           r"|payments?"
                           r"|mortgage|to (?:stay|keep))\b|\bforeclos\w*"
                           r"|\bcan'?t keep up\b|\bbehind on (?:the |my |our )?(?:mortgage"
                           r"|payments|rent|bills)\b|\bbankrupt\w*|\bmedical bills\b"
                           # a cost the lead can no longer meet: "can't cover the mortgage"
                           r"|\b(?:can'?t|cannot|can not|unable to) (?:cover|make|pay|swing|carry)"
                           r" (?:the |my |our )?(?:[\w-]+ )?(?:mortgage|payments?|rent|bills"
                           r"|note)\b"
                           r"|\bfinancial(?:ly)? (?:hardship|trouble|struggl\w*)"
                           r"|\bmoney(?:'s| is) (?:tight|short)\b|\btight on money\b"
                           r"|\bcan'?t make ends meet\b"
                           r"|\bperd(?:i|io|imos) (?:mi|el|su|nuestro) (?:trabajo|empleo)\b"
                           # the lender taking the home: "el banco nos quiere quitar la casa"
                           r"|\b(?:nos|me|le|les) (?:\w+ ){0,2}?(?:quitar|quita|quitan|embarga\w*)"
                           r" (?:la|nuestra|mi) casa\b|\bembargo\b"
                           r"|\bbank\b[^.!?]{0,25}\b(?:take|taking|took|repossess\w*)\b"
                           r"[^.!?]{0,15}\b(?:house|home)\b"
                           r"|\bno (?:podemos|puedo) pagar\b"
                           r"|\b(?:ya )?no (?:podemos|puedo|alcanzamos|alcanzo) con"
                           r" (?:los pagos|la hipoteca|la renta|las deudas)\b"
                           r"|\batrasad[oa]s? (?:con|en) (?:la hipoteca"
                           r"|los pagos)\b|\bejecucion hipotecaria\b|\bbancarrota\b"),
    ("retirement", r"\bretir(?:e|es|ing|ement)\b|\bretired\b(?!\s+(?:military|army|navy|marine|air"
                   r" force|veteran|vet|teacher|cop|police|nurse|firefighter|officer|from the)\b)"
                   r"|\b(?:just|recently|finally|now|both|already) retired\b|\bjubil\w+"
                   r"|\bretir(?:o|arme|arnos|ad[oa]s?)\b"
                   r"|\b(?:me|nos|se) (?:\w+ ){0,2}retir(?:o|e|a|an|amos|aron|ar|ara|aran|ando)\b"
                   # the end of working life in other words: "done working at the end of the
                   # year", "deja de trabajar en junio"
                   r"|\bdone working\b(?! (?:from|at home|for (?:the|today)|on|with)\b)"
                   r"|\bdej(?:o|a|amos|an|ar|are|ara) de trabajar\b"),
)
_REASONS: tuple[tuple[Motivation, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern)) for key, pattern in _REASONS_RAW
)
_KIN_OF = (r"(?:my|our|mi|mis|nuestr\w+)\s+(?:[\w-]+\s+)?(?:family|parents|mom|dad|mother|father"
           r"|sister|brother|daughter|son|kids|grandkids|in-laws|familia|padres|mama|papa|madre"
           r"|padre|hermana|hermano|hija|hijo|hijos|hijas|nietos|suegr[oa]s?)\b")
# Back to an activity, not a place: "going back to school", "regresa a la escuela".
_ACTIVITY = (r"(?!\s+(?:[\w-]+\s+)?(?:school|college|class(?:es)?|university|uni|work|studying"
             r"|studies|escuela|universidad|prepa|clases|trabajar|trabajo|estudiar)\b)")
# Moving back home or to be near family: relocation, unless another reason is stated.
_NEAR_FAMILY = re.compile(
    rf"\b(?:mov(?:e|ing|ed)|relocat\w*|head(?:ing)?|go(?:ing)?|get) back (?:to{_ACTIVITY}|home"
    r"|there|here)\b"
    # where family lives, as what decides the place: "my in-laws live in pearland so we'd like
    # to be in pearland", "mis papás viven en Doral, por eso buscamos ahí"
    # (not what they are doing: "my daughter is starting at duke and we want ...")
    rf"|\b{_KIN_OF}\s+(?:live|lives|is|are|vive|viven|esta|estan)\s+(?!\w+(?:ing|ando|iendo)\b)"
    rf"(?:[\w@-]+\s+){{0,4}}?(?:so"
    rf"|that'?s"
    rf" why|and we(?:'d)? (?:want|like|need)|asi que|por eso|y queremos)\b"
    r"|\bback home to\b"
    # going to live with family: "nos vamos a Texas con mi hija", "moving in with my parents"
    rf"|\b(?:mov\w+|going|go|goes|vamos|nos vamos|me voy|irnos|mudarnos|mudamos|nos mudamos)\b"
    rf"[^.!?]{{0,30}}?\b(?:with|con)\s+{_KIN_OF}\b"
    r"|\b(?:to be|be|to live|move|moving|relocat\w+) (?:closer to|close to|near|nearer to"
    r"|next to) (?:family|my|our|us\b|me\b"
    r"|his|her|the (?:kids|grandkids|family)|mom|dad|parents|family)\b"
    r"|\bcloser to (?:family|(?:my|our) (?:family|parents|mom|dad|kids|daughter|son"
    r"|grandkids|sister|brother))\b"
    r"|\b(?:estar|vivir) (?:mas )?cerca de (?:mi|mis|nuestr\w+|la) (?:familia|hij[oa]s?|nietos?"
    r"|padres|mamas?|papas?|madre|padre|suegr\w+|herman\w+)\b"
    # moving near the lead (who writes for a relative): "mudarse cerca de nosotros"
    r"|\b(?:estar|vivir|mudar\w*|irse|venirse|moverse) (?:mas )?cerca de (?:nosotros|mi\b|mi casa"
    r"|nuestra casa)"
    r"|\b(?:regres\w+|volv\w+|de regreso) a (?:vivir|mi (?:pais|tierra|estado)|nuestr\w+ (?:pais"
    r"|tierra|estado))\b"
    # going back: "nos regresamos a México", "me regreso para Texas"
    rf"|\b(?:nos|me) (?:regres\w+|volvemos|vuelvo|volveremos) (?:a|para){_ACTIVITY}\b"
    rf"|\bde regreso (?:a|para){_ACTIVITY}\b"
    rf"|\b(?:regresar(?:me|nos)?|volver(?:me|nos)?) (?:a|para){_ACTIVITY}\b"
    # to look after a parent: "to take care of my mom", "a cuidar a mi mamá"
    r"|\b(?:take care of|look after|care for|help out|cuidar a|atender a|ayudar a)\s+(?:my|our|mi"
    r"|mis|nuestr\w+)\s+(?:[\w-]+\s+)?(?:mom|dad|mother|father|parents|grandma|grandpa|grandmother"
    r"|grandfather|in-laws|mama|papa|madre|padre|padres|abuel\w+|suegr\w+)\b"
    # where family lives, as the reason: "porque allá vive mi hija", "since my son lives there"
    rf"|\b(?:because|since|cause|cuz|bc|porque|ya que|pues)\s+(?:(?:alla|alli|ahi|there|aqui"
    rf"|here)\s+)?"
    rf"(?:(?:vive|viven|esta|estan)\s+{_KIN_OF}\b|{_KIN_OF}\s+(?:lives?|vive|viven|(?:is|are|esta"
    rf"|estan)\s+(?:there|here|nearby|close|alla|alli|ahi|aqui|cerca))\b)"
)
# The relative the lead writes for coming to live with the lead: "my mom wants to sell her condo
# and move in with us" is her move to family (for the lead's own search it is no reason).
_WITH_US = re.compile(r"\bmov\w* in with (?:us|me)\b|\b(?:vivir|irse a vivir|venirse a vivir"
                      r"|mudarse) con nosotros\b")
# A home near a relative, said with the plan: "wants to buy a casita in Homestead near my sister".
# Said as where to look ("Littleton or Lakewood, close to our daughter", answering "where?") it
# only places the search; the reason stays the one given.
_PLAN_NEAR_KIN = re.compile(
    r"\b(?:buy|buying|move|moving|rent|renting|find|looking|comprar|mudar\w*|rentar|busca\w*)\b"
    rf"[^.!?]{{0,50}}?\b(?:near|close to|nearer to|(?:mas )?cerca de)\s+{_KIN_OF}"
)
_FAMILY = re.compile(
    r"\b(?:family|parents|mom|dad|mother|father|sister|brother|daughter|son|kids|grandkids"
    r"|in-laws|suegr\w+|padres|mamas?|papas?|herman[oa]s?|hij[oa]s?|nietos?|familia)\b")
_NEAR_THEM = re.compile(
    r"\b(?:near|close to|closer to|next to|by|cerca de)\s+(?:her|him|them|ella|el|ellos|ellas)\b"
    r"|\b(?:to be|be|estar|vivir) (?:close|closer|nearby|cerca)\b(?! (?:to|de)\b)")
# A reason only possible: "depends on if my job offer comes through", "si me dan el puesto".
_CONDITIONAL = re.compile(r"\b(?:if|whether|unless|in case|(?:depends|depending) on (?:if|whether)"
                          r"|en caso de que|depende de si)\b[^.!?,;]*$")
_BOUGHT_BEFORE = re.compile(r"\b(?:bought|purchased|closed on|owned|sold|compramos|compre"
                            r"|vendimos|tuvimos)\b[^.!?,;]*$")
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
            if not _ours(ctx, m.start()) or _CONDITIONAL.search(
                    text, ctx.segments.sentence(m.start())[0], m.start()):
                continue  # someone else's reason, or one that may not happen ("if my offer...")
            if name == "relocation" and m.group(0).endswith("from") and re.match(
                    r"\s+(?:the\s+)?@", text[m.end() :]):
                continue  # "moving from chandler to gilbert": a move inside the market
            if name == "first_time_buyer" and _BOUGHT_BEFORE.search(
                    text, max(0, m.start() - 30), m.start()):
                continue  # "we bought our first place in 2021": a first purchase in the past
            if name == "investment" and (owned_rental(text, m.start())
                                         or guest_stay(text, m.start())):
                continue  # "got a rental property in Leander" is what they own
            out.append((m.start(), name))
    # the reason is the lead's when the match ends in the lead's words ("my in-laws live in
    # Pearland so we'd like to be there")
    near_family = [m.start() for m in _NEAR_FAMILY.finditer(text)
                   if _ours(ctx, m.start()) or _ours(ctx, min(m.end() + 1, len(text)))]
    near_family.extend(m.start() for m in _WITH_US.finditer(text)
                       if ctx.whose.role(m.start()) == "proxy")
    if not (ctx.direct and ctx.question.asks("area")):
        near_family.extend(m.start() for m in _PLAN_NEAR_KIN.finditer(text)
                           if _ours(ctx, m.start()))
    # "my sister lives in Tempe and we want to buy near her", "X is where my parents are so
    # we'd want to be close": near the family member the message named
    for m in _NEAR_THEM.finditer(text):
        if _FAMILY.search(text, 0, m.start()) and _ours(ctx, m.start()):
            near_family.append(m.start())
    if near_family and not out:
        out.append((near_family[-1], "relocation"))
    out.extend((m.start(), "investment") for m in RESALE.finditer(text) if _ours(ctx, m.start()))
    if ctx.intent == "invest" and re.search(r"\brentals?\b|\b(?:rentar|alquilar)\b", text):
        out.append((len(text), "investment"))
    if ctx.question.first_home and ctx.direct and polarity(ctx.text) == "yes":
        out.append((0, "first_time_buyer"))
    if not out and ctx.direct and ctx.question.asks("motivation") and len(text.split()) <= 4:
        # a bare reason answering "what's prompting the move?": "work", "the baby", "divorce"
        framed = "moving for " + text
        out.extend((0, name) for name, pattern in _REASONS if pattern.search(framed))
    if ctx.given_up:  # "we were going to move for my job but that fell through. more room now"
        out = [(pos, name) for pos, name in out if not _given_up_reason(ctx, pos, out)]
    if any(name not in _SIZE_REASONS for _, name in out):
        out = [(pos, name) for pos, name in out if name not in _SIZE_REASONS]
    return sorted(out, key=lambda e: e[0])


def _given_up_reason(ctx: MessageContext, pos: int, reasons: list[tuple[int, Motivation]]) -> bool:
    """A reason in a plan given up: none now, once the plan is dropped or another reason
    follows it."""
    span = inside(ctx.given_up, pos)
    return span is not None and (span.dropped or any(p >= span.end for p, _ in reasons))


def _ours(ctx: MessageContext, pos: int) -> bool:
    """A reason of the search: the lead's, or that of the person the lead writes for; not the
    agent's, the lender's or someone else's life ("my sister just had a baby"), nor a word of an
    aside about the writing."""
    role = ctx.whose.role(pos)
    if role == "other" or ctx.aside(pos):
        return False  # someone else's life, or an aside about the writing ("baby on my lap")
    subject = _NOT_OURS.search(ctx.masked[max(0, pos - 30) : pos])
    return subject is None or (role == "proxy" and subject.group(1) in ("he", "she", "they"))


# A reason taken back: "her job fell through", "scratch that", "ya no se dio".
_RETRACTED = re.compile(r"\b(?:fell through|didn'?t (?:happen|work out|go through)"
                        r"|not happening|is off|called off|se cayo|no se dio|ya no va)\b")


def retracts_reason(ctx: MessageContext) -> bool:
    """Does the message take back what was said before it, so that its own reason replaces the
    earlier one whatever kind it is ("moving for her job" ... "scratch that, the job fell
    through, we just want a bigger place")?"""
    return bool(CORRECTION.search(ctx.masked) or _RETRACTED.search(ctx.masked))


def apply_motivation(current: Motivation | None, new: Motivation) -> Motivation:
    """Latest reason wins, except that a size ("more room", "something smaller") never
    replaces a life event said before it (a baby, a job, retiring, family): the size is what
    the event asks for, as SPEC's "a baby ... even when 'more room' is said too"."""
    if current is not None and current not in _SIZE_REASONS and new in _SIZE_REASONS:
        return current
    return new

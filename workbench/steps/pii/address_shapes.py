"""The vocabulary and the anchors of the address recognizer (addresses.py): street words in many
languages, units, postcodes, the words that are never street names, the address cues, and
`ANCHORS`, one documented shape per entry, each with its examples.

Shared by addresses.py only; the names keep their underscore (private to the address family).
"""

from __future__ import annotations

import functools
import re
from typing import Any
from dataclasses import dataclass


# -- vocabulary --------------------------------------------------------------------------------

# Street words written after the street's name in English (US, UK, Canada, Australia, India...).
_SUFFIX = (r"Street|Str|St|Avenue|Ave|Av|Road|Rd|Drive|Drv|Dr|Lane|Ln|Boulevard|Blvd|Way|Court|Ct|Place|Pl"
           r"|Terrace|Terr|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Crescent|Cres"
           r"|Close|Gardens|Gdns|Mews|Grove|Alley|Aly|Expressway|Expy|Freeway|Fwy|Turnpike|Tpke"
           r"|Plaza|Plz|Pike|Causeway|Motorway|Esplanade|Embankment|Parade|Promenade|Wharf|Quay"
           r"|Marg|Salai|Stravenue|Lu|Jie|Dajie|Hutong")
# Street words that are also ordinary English words (and Faker's rarer suffixes): weak anchors.
_WEAK_SUFFIX = (r"Row|Rise|Walk|Loop|Park|Hill|Hills|Point|Union|Unions|Pass|Gateway|Route|Extension|Extensions"
                r"|Heights|Junction|Landing|Ridge|Crossing|Creek|View|Valley|Green|Meadow|Meadows|Manor"
                r"|Estates?|Village|Station|Center|Centre|Springs?|Harbou?r|Haven|Hollow|Knoll|Lodge|Mills?"
                r"|Orchard|Oval|Port|Shores?|Summit|Trace|Track|Vista|Glen|Forks?|Ford|Fields?|Falls|Ferry"
                r"|Forest|Crest|Cove|Corners?|Bridge|Brook|Bypass|Camp|Canyon|Cape|Cliffs?|Common|Curve"
                r"|Dale|Lakes?|Mount|Mountains?|Plains?|Prairie|Ranch|Rapids|River|Skyway|Stream|Tunnel|Ville|Wells?"
                r"|Mission|Inlet|Fall|Courtyard"
                r"|Streets|Courts|Roads|Lanes|Drives|Ways|Squares|Passage|Path|Pines?|Locks?|Isle|Islands?"
                r"|Keys?|Trafficway|Throughway|Underpass|Overpass|Viaduct|Radial|Ramp|Spur|Branch|Burgs?")
# Street words written before the name (French, Italian, Spanish, Portuguese, Polish,
# Latin-American, Indonesian...). Matched in any case except the ones that are English words.
_PREFIX_ANY_CASE = (r"rue|vicolo|vico|corso|piazza|piazzale|largo|borgo|contrada|rotonda|incrocio|canale|stretto"
                    r"|lungomare|lungotevere|salita|traversa|localit[àa]|frazione"
                    r"|calle|c/|avenida|avda\.?|av\.|avd\.?|paseo|camino|carrera|cra\.|kra\.|carretera|ctra\.?|ronda"
                    r"|traves[ií]a|blv\.|bulevar|callej[óo]n|cañada|glorieta|pasadizo|rambla|urbanizaci[óo]n|urb\.|bajada|cuesta"
                    r"|privada|prolongaci[óo]n|viaducto|circuito|retorno|perif[ée]rico|cerrada|andador|calzada"
                    r"|rua|travessa|ladeira|trecho|viela|vila|quadra|setor|conjunto|residencial|condom[ií]nio|s[ií]tio"
                    r"|ch[áa]cara|fazenda|parque|jardim"
                    r"|pra[çc]a|alameda|estrada|rodovia|chemin|all[ée]e|quai|boulevard|bd\.|avenue"
                    r"|ul\.|ulica|(?<!et )al\.|aleja|pl\.|plac|os\.|osiedle|jalan|jl\.|jln\.?|calea|bulevardul"
                    r"|avinguda|carrer|rúa|jir[óo]n|jr\.|pasaje|psje\.?")
# ...and the ones that are also English words, only capitalised; the first four not before the
# number ("Place Order 5").
_PREFIX_CAPITAL = (r"Plaza|Via|Viale|Strada|Av|Impasse|Diagonal|Transversal|Vial|Acceso|Gang|Gg\.|Str\.|Odos|Leoforos"
                   r"|Οδός|Λεωφόρος|Thanon|Soi")
_PREFIX_NUMBER_FIRST = r"Place|Route|Square|Cours|Avenue"
# Street words joined to the name ("Hauptstraße", "Kungsgatan", "Koskikatu", "Sejong-daero").
_JOINED = (r"stra(?:ss|ß)e|str\.|weg|gasse|platz|allee|damm|ufer|chaussee|graben|brücke|steig|pfad"
           r"|-ring|straat|laan|plein|gracht|kade|singel|dreef|steeg|baan|dijk"
           r"|gatan|gata|gaten|vägen|väg|gränd|torget|veien|vegen|vei|vej|gade|stræde|vænget|vænge|plads|torv"
           r"|stræti|straeti|braut|vegur|stígur|katu|kuja|polku|tie|tori|kaari|rinne|väylä|aukio|bulevardi|ulica|utca|tänav"
           r"|-ro|-gil|-daero|-dori|-dōri|-dong")
# Street words written as a word of their own after the name, then the number ("Villacher
# Strasse 89", "Erzsébet tér 19.", "Kálmán Imre u. 12.", "Atatürk Cad. 5", "Jianguo Road No. 88").
_AFTER_NAME = (r"Stra(?:ss|ß)e|Str\.|Weg|Gasse|Platz|Allee|Chaussee|straat|laan|plein|gracht|kade"
               r"|gata|gatan|vej|gade|vägen|väg|veien|vei|terrasse|allé|plads|torv|torg|stræti|vegur|bulevardi"
               r"|Gata|Gatan|Vej|Gade|Vägen|Veien|Vei|Allé|Plads|Torv"
               r"|utca|u\.(?=[ \t]+\d{1,4}\.)|út|útja|tér|tere|körút|krt\.|köz|sor|sétány|rakpart|rkp\.|kapu|fasor|dűlő"
               r"|Caddesi|Cad\.|Cd\.|Sokak|Sokağı|Sok\.|Sk\.|Bulvarı|Blv\.|ulitsa|prospekt|pereulok|per\."
               r"|shosse|naberezhnaya|tee|mnt|maantee|puiestee|tänav|Lu|Jie|Dajie|Hutong|str")

# Units, floors and flats.
_UNIT_WORD = (r"Apt|Apartment|Apto|Apartamento|Appt|Appartement|Suite|Ste|Unit|Flat|Fl|Floor|Room|Rm"
              r"|Bldg|Building|Block|Blk|Piso|Depto|Dpto|Departamento|Sala|Andar|Etage|Étage|Whg|Wohnung"
              r"|Stiege|Bâtiment|Bât|Escalera|Esc|Puerta|Pta|Oficina|Lokal|Wing|Tower|Edif|Edificio|Interior|Int"
              r"|Local|Casa|Bodega|Torre|Dto|Lote|Manzana|Mz|Appartamento|Interno|Scala|Piano")
_UNIT = (rf"(?:(?i:(?:{_UNIT_WORD})\.?)[ \t]*(?:(?i:No)\.?[ \t]*|#[ \t]*)?(?:[A-Za-z]?\d{{1,5}}[A-Za-z]?(?:[-/]\d{{1,4}}[A-Za-z]?)?|[A-Z])"
         rf"|#[ \t]?\d{{1,5}}[A-Za-z]?(?:-\d{{1,4}})?"
         rf"|\d{{1,3}}(?:st|nd|rd|th)[ \t]+(?i:floor|fl\.?)"
         rf"|\d{{1,2}}[ºª°](?:[ \t]?(?:[A-Z]|(?i:izq|izda|dcha|dch|dto)\.?))?)(?![\w])")

# Postcodes of many countries, as written after a street (a bare number counts only there).
_POSTCODE = (r"(?:〒[ \t]?|(?:ΤΚ|Τ\.Κ\.)[ \t]?)?(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[ABD-HJLNP-UW-Z]{2}"  # UK
             r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"  # Canada
             r"|\d{3}-\d{4}"  # Japan
             r"|\d{5}-\d{3,4}"  # Brazil, US ZIP+4
             r"|\d{4}-\d{3}"  # Portugal
             r"|\d{2}-\d{3}"  # Poland
             r"|\d{3}[ \t]\d{2}"  # Sweden, Czechia, Greece
             r"|\d{4}[ \t]?[A-Z]{2}"  # Netherlands
             r"|(?:[A-Z]{1,3}-)?\d{4,6})"  # 4-6 digits ("D-10115" too)
             r"(?![\w-])")
# A UK postcode with both halves, as an anchor next to a town.
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[ABD-HJLNP-UW-Z]{2}(?<!GB)(?<!TB)(?<!PB)(?![\w-])"

# A word of a street or place name, any script; its case is checked in Python.
_WORD = r"(?:[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?(?![\w'’-])|\d{1,3}(?:st|nd|rd|th|º|ª)(?![\w]))"
_NUMBER = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,5}[A-Za-z]?)?"  # 12, 221B, 84/92, 4-6
_BEFORE_NUMBER = r"(?<![\w.,:/#$€£+-])"
_NO = r"(?:(?i:No|Nº|N°|Nr|n)\.?[ \t]*|#[ \t]*)"  # "No. 88", "nº 5", "#68-35"

_CONNECTORS = frozenset("""
de del della dello delle dei degli di da das do dos du des la las le les los el al y e et of the upon sur
sous am an im der den dem zum zur bei van von ten ter 's d' l' i og och und nad pod na pri ob u v ve z ze
""".split())

# The word before a street word that makes the phrase something else ("Supreme Court", "USB Drive").
_NOT_STREET_NAMES = frozenset("""
supreme high federal district county circuit family appeals magistrates tennis basketball squash
badminton volleyball food hard disk disc flash usb thumb test wheel speed tb gb ssd optical network
google external internal memory one two three four five six seven eight nine ten national state theme
amusement water car business industrial science technology office retail data
""".split())
_NOT_STREETS = frozenset("brigade renegade blockade bowtie necktie".split())
# Words that are never the name of a street or place: months, days, things with a number.
_NEVER_NAMES = frozenset("""
january february march april may june july august september october november december jan feb mar apr jun jul
aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
fri sat sun version chapter page section part gate room level floor platform terminal window windows model series
episode season week day year month hour minute step item option plan tier round game vol volume issue figure table
""".split())

_CUE = re.compile(
    r"(?i:\baddress(?:es|ed)?\b|\baddr\b|\blives?[ \t]+(?:at|on)\b|\bliving[ \t]+(?:at|on)\b"
    r"|\blocated[ \t]+(?:at|on)\b|\bresides?[ \t]+at\b|\b(?:ship|send|sent|deliver|mail|post|return|forward)"
    r"(?:ed|ing)?[ \t]+(?:it[ \t]+|this[ \t]+|them[ \t]+|the[ \t]+\w+[ \t]+)?to\b|\bis[ \t]+at\b"
    r"|\bmoved[ \t]+to\b|\bmeet[ \t]+(?:me|us|you)?[ \t]*at\b|\boff[ \t]+at\b|\bstay(?:ing)?[ \t]+at\b"
    r"|\benter[ \t]+on\b|\bbilling\b|\bshipping\b|\bdelivery\b|\bpostal\b|\bsent[ \t]+to\b)")
# The cues for a bare name and number ("lives on Joaquin Suarez 2906").
_STRONG_CUE = re.compile(r"(?i:\baddress(?:es)?\b|\baddr\b|\blives?[ \t]+(?:at|on)\b|\bliving[ \t]+(?:at|on)\b"
                         r"|\blocated[ \t]+(?:at|on)\b|\bresides?[ \t]+at\b)")


@dataclass(frozen=True)
class Anchor:
    """One shape that only an address has: its regex, with the street's name in the group `name`
    (or `name2`, or `tail` when it ends the match) whose words are checked for case."""

    name: str
    pattern: str
    score: float
    weak: bool = False  # counts only when the address around it confirms it
    street_word: bool = True  # holds a street, unit or PO box word (see _HOT_WORD)


_NOT_UNIT = rf"(?!(?i:{_UNIT_WORD})\.?[ \t])"  # a name word that is not "Suite" of "Suite 620"
_NAMES = rf"{_WORD}(?:[ \t]+{_WORD}){{0,3}}"  # one to four name words
_CORNER_WORD = rf"(?:{_WORD}|\d{{1,5}}\.?)"
_JOINED_WORD = rf"[^\W\d_][\w'’.-]{{2,}}?(?i:{_JOINED})(?![\w])"

ANCHORS: list[Anchor] = [
    # US, Canada, UK, Australia, India: number, name, street word, direction.
    # "1600 Pennsylvania Ave NW", "12 Baker Street", "12, MG Road", "No. 88 Jianguo Road", "350 5th Avenue"
    Anchor("number_name_street",
           rf"{_BEFORE_NUMBER}(?:{_NO})?{_NUMBER}[ \t]*,?[ \t]+(?P<name>{_NAMES})[ \t]+(?P<suffix>(?i:{_SUFFIX}))(?![\w])\.?"
           rf"(?:[ \t]+(?:NW|NE|SW|SE|N|S|E|W|North|South|East|West)(?![\w])\.?)?", 0.6),
    # The same with a street word that is also an English word or a plural: "4966 Bond Passage",
    # "149 Monika Union", "0181 Aguilar Parkways".
    Anchor("number_name_weak_street",
           rf"{_BEFORE_NUMBER}{_NUMBER}[ \t]*,?[ \t]+(?P<name>{_NAMES})[ \t]+(?P<suffix>(?i:(?:{_WEAK_SUFFIX})s?|(?:{_SUFFIX})s))"
           rf"(?![\w])\.?",
           0.5, weak=True),
    # French, Italian, Spanish... with the number first: "12 rue de Rivoli", "137 Avenue Teboulbi",
    # "12 Place Vendôme". The name ends where its capitalised words do.
    Anchor("number_street_name",
           rf"{_BEFORE_NUMBER}{_NUMBER}[ \t]*,?[ \t]+(?:{_PREFIX_NUMBER_FIRST}|(?P<foreign>(?i:{_PREFIX_ANY_CASE}))|{_PREFIX_CAPITAL})"
           rf"[ \t]+(?P<tail>{_NAMES})", 0.6),
    # Continental and Latin-American order, street word first: "Via Roma 131", "Calle Mayor, 10",
    # "Av. Paulista 1578", "ul. Marszałkowska 84/92", "Rue de Rivoli 12", "Jl. Thamrin No. 1".
    Anchor("street_name_number",
           rf"(?<![\w])(?:(?i:{_PREFIX_ANY_CASE})|{_PREFIX_CAPITAL})[ \t]+(?P<name>{_NAMES})[ \t]*,?[ \t]+{_NO}?{_NUMBER}(?![\w])",
           0.6),
    # Colombian and other grid addresses: "Calle 26 #68-35", "Carrera 7 No. 71-21", "Av. 9 # 12-30".
    Anchor("grid_street_number",
           rf"(?<![\w])(?:(?i:{_PREFIX_ANY_CASE}|cl\.?|cll\.?|kr\.?|cr\.?|tv\.?|dg\.?|ak\.?|ac\.?)|{_PREFIX_CAPITAL})"
           rf"[ \t]+\d{{1,3}}[ \t]?[A-Zªº]?(?:[ \t]+(?i:bis))?(?:[ \t]+(?i:sur|norte|este|oeste))?[ \t]*{_NO}\d{{1,3}}[A-Z]?"
           rf"[ \t]*-[ \t]*\d{{1,3}}(?![\w])", 0.6),
    # A numbered street and its house number: "Av. 6 N° 481", "Calle 5 No. 120".
    Anchor("numbered_street_number",
           rf"(?<![\w])(?:(?i:{_PREFIX_ANY_CASE})|{_PREFIX_CAPITAL})[ \t]+\d{{1,3}}[A-Za-zªº]?[ \t]*(?:(?i:No|Nº|N°|Nr)\.?|#)"
           rf"[ \t]*\d{{1,5}}(?![\w-])", 0.6),
    # Street word joined to the name, then the number: "Hauptstraße 5", "Kungsgatan 44",
    # "Karl-Marx-Allee 12", "Brucker Bundesstrasse 31", "Sejong-daero 175"; or the number first
    # ("5049 Harjukuja 54", "175 Sejong-daero").
    Anchor("joined_street_number",
           rf"(?<![\w'’.-])(?P<name>(?:{_WORD}[ \t]+){{0,2}}(?P<joined>{_JOINED_WORD}))[ \t]*,?[ \t]+{_NO}?{_NUMBER}(?![\w])",
           0.6),
    Anchor("number_joined_street",
           rf"{_BEFORE_NUMBER}{_NUMBER}[ \t]*,?[ \t]+(?P<name>(?P<joined>{_JOINED_WORD}))", 0.6),
    # A name and a street word of its own, then the number: "Villacher Strasse 89", "Erzsébet tér
    # 19.", "Kálmán Imre u. 12.", "Csabai kapu 39.", "Stensås terrasse 38", "Jianguo Road No. 88".
    Anchor("name_street_number",
           rf"(?<![\w'’.-])(?P<name>{_WORD}(?:[ \t]+{_WORD}){{0,2}})[ \t]+(?:{_AFTER_NAME})[ \t]*,?[ \t]+{_NO}?{_NUMBER}(?![\w])",
           0.55),
    Anchor("name_english_street_no_number",
           rf"(?<![\w'’.-])(?P<name>{_WORD}(?:[ \t]+{_WORD}){{0,2}})[ \t]+(?P<suffix>(?i:{_SUFFIX}))\.?[ \t]*,?[ \t]+{_NO}{_NUMBER}(?![\w])",
           0.55),
    # An English street word before the number ("Baker Street 12"), as in "Test Drive 2": weak.
    Anchor("name_english_street_number",
           rf"(?<![\w'’.-])(?P<name>{_WORD}(?:[ \t]+{_WORD}){{0,2}})[ \t]+(?P<suffix>(?i:{_SUFFIX}))\.?[ \t]*,?[ \t]+{_NUMBER}(?![\w])",
           0.5, weak=True),
    # A unit, then a street without a number: "Flat 12B, MG Road", "Suite 5, Rose Court".
    Anchor("unit_name_street",
           rf"(?<![\w])(?:{_UNIT})[ \t]*,?[ \t]+(?P<name>{_NAMES})[ \t]+(?P<suffix>(?i:{_SUFFIX}))(?![\w])\.?", 0.6),
    # A name between two numbers, as house and building number: "28030 Edeby 55": weak, and the
    # first number has three digits at least ("2 Vault 10" is two things).
    Anchor("number_name_number",
           rf"{_BEFORE_NUMBER}\d{{3,6}}[ \t]+(?P<name>{_NOT_UNIT}{_WORD}(?:[ \t]+{_NOT_UNIT}{_WORD}){{0,2}})[ \t]+"
           rf"(?:(?P<unit>(?i:{_UNIT_WORD})\.?)[ \t]*)?{_NUMBER}(?![\w])\.?(?![.,:/-]?\d)",
           0.5, weak=True, street_word=False),
    # A name and a number right after "address", "lives at": "lives on Joaquin Suarez 2906": weak.
    Anchor("cued_name_number",
           rf"(?<![\w'’.-])(?P<name>{_WORD}(?:[ \t]+{_WORD})?)[ \t]+\d{{1,5}}[A-Za-z]?(?![\w])\.?(?![.,:/-]?\d)",
           0.45, weak=True, street_word=False),
    # PO boxes: "P.O. Box 1234", "PO Box 77", "GPO Box 5", "Postfach 10 01 01", "Apartado 123",
    # "Apartado de Correos 45", "Caixa Postal 45", "Casilla 123", "Postbus 123", "Private Bag 12".
    Anchor("po_box",
           r"(?<![\w])(?:(?i:(?:p\.?[ \t]?o\.?|post[ \t]+office|g\.?p\.?o\.?)[ \t]*box|postfach|caixa[ \t]+postal"
           r"|apartado[ \t]+(?:de[ \t]+correos|postal|a[ée]reo)|casilla(?:[ \t]+de[ \t]+correos?)?|postbus|postboks"
           r"|bo[iî]te[ \t]+postale|casella[ \t]+postale|private[ \t]+bag|locked[ \t]+bag|skrytka[ \t]+pocztowa)"
           r"|Apartado(?=[ \t]+\d{2})|B\.P\.)[ \t]*(?:No\.?[ \t]*)?#?[ \t]*\d{1,7}(?:[ \t]\d{2}){0,3}(?![\w])",
           0.6),
    # US military mail: "PSC 0413, Box 8144", "Unit 4719 Box 7394", "APO AE 09012".
    Anchor("military_mail",
           r"(?<![\w])(?:(?:PSC|CMR|Unit)[ \t]+\d{1,5},?[ \t]+Box[ \t]+\d{1,5}|(?i:APO|FPO|DPO)[ \t]+(?i:AA|AE|AP)[ \t]+\d{5})(?![\w])",
           0.6, street_word=False),
    # Japanese block numbers, with the ward or the postcode after them: "1-2-3 Shibuya,
    # Shibuya-ku", "Nihonbashi 2-1-1, Chuo-ku", "4-chome 6-16 Ginza".
    Anchor("japanese_block",
           rf"(?<![\w-])(?:\d{{1,2}}-\d{{1,3}}(?:-\d{{1,3}})?[ \t]+(?P<name>{_WORD}(?:[ \t]+{_WORD})?)"
           rf"|(?P<name2>{_WORD}(?:[ \t]+{_WORD})?)[ \t]+\d{{1,2}}-\d{{1,3}}(?:-\d{{1,3}})?)"
           rf"(?=[ \t]*,?[ \t]*(?:[^\W\d_]+-(?i:ku|shi|cho|chō|machi|gun|ken|mura)(?![\w])"
           rf"|(?:[ \t]*,?[ \t]*[^\W\d_][\w-]*){{0,3}}[ \t]*,?[ \t]*〒?\d{{3}}-\d{{4}}(?![\w-])))",
           0.6, street_word=False),
    Anchor("japanese_chome", r"(?<![\w-])\d{1,2}-?(?i:ch[oō]me)[ \t,]+\d{1,3}(?:-\d{1,3})?(?![\w])", 0.6),
    # Written in Chinese, Japanese or Korean script: "東京都渋谷区渋谷1-2-3", "北京市朝阳区建国路88号",
    # "서울특별시 종로구 세종대로 175".
    Anchor("cjk_script",
           r"(?:〒[ \t]?\d{3}-\d{4}[ \t]*)?[\u3005\u4e00-\u9fff\u3040-\u30ff]{1,20}?"
           r"(?:[都道府県市区町村郡省]|路|街|大道|巷|弄|胡同)[\u3005\u4e00-\u9fff\u3040-\u30ff]{0,10}?"
           r"(?:[0-9０-９]+段)?[0-9０-９]+(?:丁目|番地?|号|號|[-－][0-9０-９]+)"
           r"(?:[0-9０-９]+(?:番地?|号|號|樓|楼|室)|[-－][0-9０-９]+|之[0-9０-９]+)*"
           r"|(?:[\uac00-\ud7a3]+(?:시|도|구|군)[ \t]+){0,3}[\uac00-\ud7a3][\uac00-\ud7a3\d]{0,10}?(?:로|길|가|거리)"
           r"[ \t]?\d{1,4}(?:-\d{1,4})?(?:번길[ \t]?\d{1,4})?", 0.6),
    # Russian and other Cyrillic addresses: "ул. Тверская, д. 7", "пер. Енисейский, д. 2".
    Anchor("cyrillic_street_house",
           r"(?<![\w])(?:ул|улица|пер|переулок|пр-т|просп|проспект|пр|ш|шоссе|наб|набережная|пл|площадь|алл|аллея"
           r"|б-р|бул|бульвар)\.?[ \t]+[А-ЯЁ][\w-]*(?:[ \t]+[\w-]+){0,2},?[ \t]+(?:д\.|дом)[ \t]*\d{1,4}(?:/\d{1,4})?"
           r"(?:[ \t]*,?[ \t]*(?:кв\.|к\.|стр\.)[ \t]*\d{1,4})?", 0.6),
    Anchor("japanese_postcode_mark", r"〒[ \t]?\d{3}-?\d{4}(?![\w])", 0.6),
    # A full UK postcode next to its town: "SW1A 1AA London", "London EC1A 1BB".
    Anchor("uk_postcode_town",
           rf"(?<![\w])(?:{_UK_POSTCODE}[ \t]+(?P<name>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)(?![\w])"
           rf"|(?P<name2>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?),?(?:[ \t]+|[ \t]*\n[ \t]*){_UK_POSTCODE})",
           0.55, street_word=False),
    # A street corner with a number on one side: "the corner of 159 Eleftheriou Venizelou str and
    # Rennie Union", "the intersection of 5th Ave and Main St".
    Anchor("corner",
           rf"(?i:corner|intersection|junction)[ \t]+of[ \t]+(?:the[ \t]+)?"
           rf"(?P<value>{_CORNER_WORD}(?:[ \t]+{_CORNER_WORD}){{0,4}}[ \t]+(?:and|&)[ \t]+{_CORNER_WORD}(?:[ \t]+{_CORNER_WORD}){{0,3}})",
           0.5),
]

# What every match of an anchor holds, for the anchors whose regex is slow: a window without it
# is skipped. Each is cut from the anchor's own regex, so a window is skipped only where the
# anchor cannot match. _WORD_NEEDS: its street word, a word of its own, tested on each word of
# the window ("St", "Hauptstr.", "c/"; see WordClasses).
# _NEEDS: a piece of the regex, searched in the window (after the street word, if both).
_IS_PREFIX = (rf"(?:{_PREFIX_NUMBER_FIRST}|(?i:{_PREFIX_ANY_CASE}|cl\.?|cll\.?|kr\.?|cr\.?|tv\.?|dg\.?|ak\.?|ac\.?)"
              rf"|{_PREFIX_CAPITAL})(?![\w])")  # the street words before the name, of the four anchors
_IS_SUFFIX = rf"(?i:{_SUFFIX})(?![\w])"
_IS_JOINED = r"\w*?(?i:" + _JOINED.replace("-", r"(?<![\w])") + r")(?![\w])"  # it ends the word; "-ro" is one
_WORD_NEEDS: dict[str, str] = {
    "number_name_street": _IS_SUFFIX, "unit_name_street": _IS_SUFFIX, "name_english_street_number": _IS_SUFFIX,
    "name_english_street_no_number": _IS_SUFFIX,
    "number_name_weak_street": rf"(?i:(?:{_WEAK_SUFFIX})s?|(?:{_SUFFIX})s)(?![\w])",
    "number_street_name": _IS_PREFIX, "street_name_number": _IS_PREFIX, "numbered_street_number": _IS_PREFIX,
    "grid_street_number": _IS_PREFIX,
    "joined_street_number": _IS_JOINED, "number_joined_street": _IS_JOINED,
}
_NEEDS: dict[str, str] = {
    "name_english_street_number": rf"[ \t](?i:{_SUFFIX})\.?[ \t]*,?[ \t]+\d",
    "name_english_street_no_number": rf"[ \t]{_NO}\d", "japanese_block": r"\d-\d",
    "grid_street_number": r"\d[A-Z]?[ \t]*-[ \t]*\d", "numbered_street_number": r"(?:(?i:No|Nº|N°|Nr)\.?|#)[ \t]*\d",
    "name_street_number": rf"[ \t](?:{_AFTER_NAME})[ \t]*,?[ \t]+{_NO}?\d", "cyrillic_street_house": r"[А-ЯЁ]",
    "cjk_script": r"[\u3005\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7a3]", "uk_postcode_town": r"[ \t]\d[ABD-HJLNP-UW-Z]{2}",
}

# Anchors that start with the house number: their name starts with a name, not "of" or "de".
_NUMBER_FIRST = frozenset({"number_name_street", "number_name_weak_street", "number_name_number", "unit_name_street"})
_UNIT_WORDS = frozenset(w.lower() for w in _UNIT_WORD.split("|"))
# A year after one of these is a year, not a house number ("From 2019 Park Avenue rents rose").
_YEAR = re.compile(r"(?i:\b(?:in|from|since|by|until|till|of|before|after|during|around|circa)[ \t]+)"
                   r"(?:19|20)\d\d(?=[ \t])")

# Anchors whose name comes first: their leading stop words ("the", "On") are not the street's.
_NAME_FIRST = frozenset({"joined_street_number", "name_street_number", "name_english_street_no_number",
                         "name_english_street_number", "cued_name_number", "japanese_block", "uk_postcode_town"})
_STREET_WORD = re.compile(rf"(?i:{_SUFFIX}|{_WEAK_SUFFIX}|{_AFTER_NAME}|str)\.?|{_JOINED_WORD}")

_STOP: frozenset[str] = frozenset()


def _stop_words() -> frozenset[str]:
    global _STOP
    if not _STOP:
        from spacy.lang.en.stop_words import STOP_WORDS

        _STOP = frozenset(STOP_WORDS)
    return _STOP


_ELISION = re.compile(r"^(?:d|l|dell|dall|nell|sull|all|j|qu)['’]")  # "d'Ouchy", "dell'Orso"


def _capitalised(word: str) -> bool:
    word = _ELISION.sub("", word)
    first = next((c for c in word if c.isalpha() or c.isdigit()), "")
    return first.isupper() or first.isdigit()


def _bare(word: str) -> str:
    return word.strip(".,;:'’").lower()


def _name_word_ok(word: str, lower_text: bool) -> bool:
    """A word of a street or place name: capitalised, or in an all-lower-case text any word but
    an English stop word."""
    if lower_text:
        return _bare(word) not in _stop_words()
    return _capitalised(word)


def _names_ok(words: list[str], lower_text: bool) -> bool:
    """Name words, with connectors ("de", "la", "of the") between them; at least one real word."""
    real = 0
    for w in words:
        if _bare(w) in _CONNECTORS and not (w[0].isupper() and not lower_text):
            continue  # ("The" of "12 The Avenue", "Des" of "Des Moines" are names)
        if not _name_word_ok(w, lower_text):
            return False
        real += 1
    return real > 0


# -- where to look: the windows around street words and digits -------------------------------
_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"[^\W\d_][\w'’./-]*")
_CJK = re.compile(r"[\u3005\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7a3〒]")


def _words_of(alternation: str) -> set[str]:
    """The lower-case words an alternation of street words spells ("Estates?" gives two)."""
    out: set[str] = set()
    for alt in re.split(r"\|(?![^()]*\))", alternation):  # the top-level alternatives
        alt = re.sub(r"\(\?[=!<][^)]*\)", "", alt).replace("\\.", ".")
        forms = [""]
        for m in re.finditer(r"\[([^]]+)\]|\(\?:([^)]*)\)|(.)\?|(.)", alt):
            if m.group(1):
                forms = [f + c for f in forms for c in m.group(1)]
            elif m.group(2) is not None:
                forms = [f + c for f in forms for c in m.group(2).split("|")]
            elif m.group(3):
                forms = [f + c for f in forms for c in ("", m.group(3))]
            else:
                forms = [f + m.group(4) for f in forms]
        out.update(f.lower().rstrip(".") for f in forms if f)
    return out


# The words that one of the street_word anchors holds, looked up word by word (a regex of them
# all is slow), and the endings of the joined ones.
_HOT_WORDS = frozenset(
    _words_of(f"{_SUFFIX}|{_WEAK_SUFFIX}|{_PREFIX_ANY_CASE}|{_PREFIX_CAPITAL}|{_PREFIX_NUMBER_FIRST}|{_AFTER_NAME}")
    | {w + "s" for w in _words_of(f"{_SUFFIX}|{_WEAK_SUFFIX}")}
    | set("""u po p.o g.p.o gpo b.p postfach caixa apartado casilla postbus postboks bag boîte boite casella skrytka
    private locked post psc cmr apo fpo dpo corner intersection junction chome chōme cl cll kr cr tv dg ak ac ул
    улица пер переулок пр-т просп проспект пр ш шоссе наб набережная пл площадь алл аллея б-р бул бульвар""".split()))
_HOT_ENDINGS = tuple(sorted(_words_of(_JOINED))) + (
    "-ku", "-shi", "-cho", "-chō", "-machi", "-gun", "-ken", "-mura", "chome", "chōme")


@functools.lru_cache(maxsize=1 << 16)  # called on every word of a text with digits
def _hot(word: str) -> bool:
    word = word.lower().rstrip(".,")
    return word in _HOT_WORDS or (len(word) > 3 and word.endswith(_HOT_ENDINGS))


WINDOW = 110  # characters an anchor reaches either side of its street word or its digits


def _windows(text: str, tokens: re.Pattern[str], keep: Any = None) -> list[tuple[int, int]]:
    """(start, stop) of the stretches around the tokens (those `keep` accepts), merged."""
    out: list[tuple[int, int]] = []
    for m in tokens.finditer(text):
        if keep is not None and not keep(m.group()):
            continue
        a, b = max(0, m.start() - WINDOW), min(len(text), m.end() + WINDOW)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out

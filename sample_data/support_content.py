"""What Quillfield Home Energy's support chats are made of: people, phrases, synthetic framings, flaws.

Quillfield Home Energy is fictional. It sells the Tempo smart thermostat (Tempo 3, Tempo Lite),
Sense room sensors, the Vault home battery (Vault 10, Vault 15) with its Gateway, and the
Quillfield Plus subscription. The policies below are consistent across all conversations:
30-day returns, Plus at $5.99/month or $59/year with a 14-day refund window on annual charges,
2-year thermostat warranty (3 with Plus), 10-year / 70% capacity battery warranty.

Every name, email, phone number, card number, address and order number here is made up: emails
use the reserved example.* domains, US and Canadian phone numbers the fictional 555-01xx range, UK
and Australian numbers the ranges their regulators set aside for drama, German numbers are random,
and card numbers are well-known test numbers or random Luhn-valid ones.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from support_text import Pii, TemplateRow

CATEGORY_SHARE = {
    "billing": 35, "technical_troubleshooting": 25, "account_access": 15, "shipping_returns": 10,
    "installation": 7, "product_questions": 5, "warranty_claims": 2, "data_privacy": 1,
}


@dataclass
class Scenario:
    """One customer intent: how customers raise it and how agents answer it.

    Each field is a list of templates (see support_text). A template may start with "@case ":
    the customer's message then fixes the case, and later turns use only templates of that case
    or without one, so an answer always fits the question it follows.
    """

    key: str
    category: str
    user: list[str]
    answer: list[str]
    synth: dict[str, Any]
    vague: list[str] = field(default_factory=list)
    clarify: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    escalate: list[str] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    weight: float = 1.0


# -- slot helpers -----------------------------------------------------------------------------

def by(slot: str, mapping: dict[str, str]):
    """A slot whose template depends on another slot's value."""
    return lambda t: mapping[t.value(slot)]


def joint(group: str, index: int, options: list[tuple]):
    """Slots that vary together (e.g. ordered and received item): one draw per conversation."""
    def pick(t: TemplateRow) -> str:
        key = "_" + group
        if key not in t.cache:
            t.cache[key] = t.rng.choice(options)
        return t.cache[key][index]
    return pick


def num(lo: int, hi: int, fmt: str = "{}"):
    return lambda t: fmt.format(t.rng.randint(lo, hi))


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


def _month_day(t: TemplateRow) -> str:
    day = t.rng.randint(1, 28)
    month = t.rng.choice(MONTHS)
    return t.rng.choice((f"{month} {day}", f"{month} {day}", f"{day} {month}", f"{month} {_ordinal(day)}"))


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


# -- people (all fake) ------------------------------------------------------------------------

FIRST_NAMES = [
    "Maya", "Daniel", "Priya", "Marcus", "Elena", "Tomás", "Aisha", "Connor", "Mei", "Jamal", "Sofia",
    "Liam", "Fatima", "Noah", "Hana", "Diego", "Grace", "Kwame", "Olivia", "Ravi", "Chloé", "Ethan",
    "Amara", "Lucas", "Yuki", "Samuel", "Ingrid", "Omar", "Beatriz", "Henry", "Zoë", "Arjun", "Nadia",
    "Patrick", "Leilani", "Mateo", "Renée", "Victor", "Anaïs", "Caleb", "Siobhan", "Wei", "Imani",
    "Gabriel", "Astrid", "Rahul", "Lucia", "Dmitri", "Harper", "Kofi", "Elif", "Owen", "Camila",
    "Jonas", "Ayesha", "Felix", "Marisol", "Theo", "Keiko", "Andre", "Ruth", "Nikolai", "Aaliyah",
    "Brendan", "Paloma", "Tariq", "Joanna", "Emeka", "Sunita", "Hugo", "Dolores", "Kai", "Margaret",
    "José", "Björn", "Niamh", "Rosa", "Frank", "Leah", "Bashir",
]
LAST_NAMES = [
    "Okafor", "Lindqvist", "Ramirez", "Chen", "Whitaker", "Nakamura", "Haddad", "Brennan", "Patel",
    "Kowalski", "Osei", "Fischer", "Delgado", "Nguyen", "Abernathy", "Moreau", "Tanaka", "Mensah",
    "Goldberg", "Iyer", "Sullivan", "Castillo", "Johansson", "Adeyemi", "Rossi", "Kim", "Holloway",
    "Petrov", "Dubois", "Achterberg", "Farouk", "McAllister", "Yilmaz", "Santos", "Van der Berg",
    "Oyelaran", "Marsh", "Takahashi", "Novak", "Bianchi", "Hughes", "Kapoor", "Lindgren", "Mwangi",
    "Quintero", "Ashford", "Reyes", "Sato", "Barros", "Kaur", "Thornton", "Ekström", "Halvorsen",
    "Ibáñez", "Pritchard", "Zhou", "Donnelly", "Mahlaba", "Carvalho", "Fenwick", "Alvarez", "Brandt",
    "Cohen", "Nwosu", "Park", "Lambert", "Okonkwo", "Vasquez", "Sørensen", "Gallagher", "Rahman",
    "Hoffmann", "Silva", "Duarte", "Whitfield", "Jovanović", "Ortega", "Murphy",
]
AGENT_FIRST = ["Priya", "Marcus", "Dana", "Luis", "Hannah", "Kenji", "Bea", "Tom", "Alicia", "Sam",
               "Nora", "Felipe", "Grace", "Idris", "Megan", "Oscar", "Ruth", "Yara", "Ben", "Chiara"]
AGENT_LAST = ["Whitlock", "Oyelaran", "Ferreira", "Lindholm", "Adair", "Moss", "Kaplan", "Ishikawa",
              "Devlin", "Achebe", "Navarro", "Price", "Solberg", "Hale", "Mirza", "Quigley"]

EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com", "home.example.net",
                 "inbox.example.org"]

US_CITIES = [("Columbus", "OH", "432"), ("Sacramento", "CA", "958"), ("Raleigh", "NC", "276"),
             ("Madison", "WI", "537"), ("Boise", "ID", "837"), ("Tucson", "AZ", "857"),
             ("Richmond", "VA", "232"), ("Spokane", "WA", "992"), ("Albany", "NY", "122"),
             ("Des Moines", "IA", "503"), ("Austin", "TX", "787"), ("Denver", "CO", "802"),
             ("Portland", "OR", "972"), ("Burlington", "VT", "054"), ("Ann Arbor", "MI", "481"),
             ("Chattanooga", "TN", "374"), ("Fort Collins", "CO", "805"), ("Savannah", "GA", "314")]
STREETS = ["Maple", "Juniper Hollow", "Birchwood", "Lakeview", "Orchard", "Cedar Ridge", "Willow Bend",
           "Foxglove", "Harbor", "Summit", "Larkspur", "Quarry", "Meadowlark", "Old Mill", "Sycamore",
           "Kingfisher", "Pinecrest", "Wren", "Alder", "Copper Creek", "Bluebell", "Granite"]
STREET_TYPES = ["St", "Street", "Ave", "Avenue", "Rd", "Road", "Dr", "Drive", "Ln", "Lane", "Ct", "Way",
                "Blvd", "Pl"]
UK_PLACES = [("Leeds", "LS6 2QT"), ("Bristol", "BS7 8AX"), ("Norwich", "NR2 4PH"), ("York", "YO31 7EF"),
             ("Cardiff", "CF24 3DG")]
US_AREA = ["206", "212", "303", "312", "404", "415", "503", "512", "602", "614", "617", "704", "720",
           "802", "808", "919", "970", "971"]
TEST_CARDS = ["4111 1111 1111 1111", "4242 4242 4242 4242", "5555 5555 5555 4444",
              "5105 1051 0510 5100", "3782 822463 10005", "6011 1111 1111 1117", "4012 8888 8888 1881",
              "5200 8282 8282 8210", "3714 496353 98431", "4000 0566 5566 5556"]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace(" ", "")


def _luhn_complete(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return digits + str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(rng: random.Random) -> str:
    if rng.random() < 0.55:
        number = rng.choice(TEST_CARDS)
    else:
        prefix = rng.choice(["4", "4", "51", "52", "53", "54", "55"])
        body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(15 - len(prefix)))
        full = _luhn_complete(body)
        number = " ".join(full[i:i + 4] for i in range(0, 16, 4))
    style = rng.random()
    if style < 0.25:
        return number.replace(" ", "")
    if style < 0.45:
        return number.replace(" ", "-")
    return number


def _phone(rng: random.Random) -> str:
    kind = rng.choices(["us", "uk", "au", "de", "ca"], [0.68, 0.12, 0.07, 0.07, 0.06])[0]
    if kind == "us":
        area, line = rng.choice(US_AREA), f"01{rng.randint(0, 99):02d}"
        return rng.choice([f"({area}) 555-{line}", f"{area}-555-{line}", f"{area}.555.{line}",
                           f"+1 {area} 555 {line}", f"1-{area}-555-{line}", f"{area} 555 {line}"])
    if kind == "uk":
        tail = f"{rng.randint(0, 999):03d}"
        return rng.choice([f"+44 7700 900{tail}", f"07700 900{tail}", f"+44 20 7946 0{tail}"])
    if kind == "au":  # ACMA's numbers for fiction: a few mobiles, and the 5550 / 7010 landline blocks
        mobile = rng.choice(["570 006", "570 156", "570 157", "570 158", "570 159", "570 110", "570 313",
                             "570 737"])
        line = f"{rng.randint(0, 9999):04d}"
        return rng.choice([f"+61 491 {mobile}", f"0491 {mobile}", f"(02) 5550 {line}", f"+61 3 7010 {line}"])
    if kind == "de":
        return rng.choice([f"+49 30 {rng.randint(1000000, 9999999)}",
                           f"+49 151 {rng.randint(10000000, 99999999)}"])
    return f"+1 (604) 555-01{rng.randint(0, 99):02d}"


def _address(rng: random.Random) -> str:
    if rng.random() < 0.88:
        city, state, zip3 = rng.choice(US_CITIES)
        unit = rng.choice(["", "", "", f", Apt {rng.randint(1, 40)}{rng.choice('ABCD')}",
                           f" Unit {rng.randint(2, 19)}"])
        street = f"{rng.randint(12, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}{unit}"
        return f"{street}, {city}, {state} {zip3}{rng.randint(0, 99):02d}"
    town, postcode = rng.choice(UK_PLACES)
    return f"{rng.randint(2, 140)} {rng.choice(STREETS)} {rng.choice(['Road', 'Close', 'Lane'])}, {town} {postcode}"


def _email(rng: random.Random, first: str, last: str) -> str:
    f, l = _ascii(first).lower(), _ascii(last).lower()
    local = rng.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}{l[0]}{rng.randint(1, 99)}", f"{f}_{l}",
                        f"{l}.{f}", f"{f}{rng.randint(1960, 2004)}", f"{f}.{l}{rng.randint(1, 9)}"])
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def person(t: TemplateRow) -> dict[str, Pii]:
    """The customer of one conversation: every PII slot draws from the same fake person."""
    if "_person" not in t.cache:
        rng = t.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        t.cache["_person"] = {
            "full_name": Pii("PERSON", f"{first} {last}"),
            "first_name": Pii("PERSON", first),
            "email": Pii("EMAIL_ADDRESS", _email(rng, first, last)),
            "phone": Pii("PHONE_NUMBER", _phone(rng)),
            "address": Pii("STREET_ADDRESS", _address(rng)),
            "card": Pii("CREDIT_CARD", _card(rng)),
            "order": Pii("ORDER_ID", rng.choice(["QF-", "QF-", "QF"]) + str(rng.randint(1000000, 9999999))),
        }
    return t.cache["_person"]


def agent(t: TemplateRow) -> dict[str, Pii]:
    if "_agent" not in t.cache:
        first, last = t.rng.choice(AGENT_FIRST), t.rng.choice(AGENT_LAST)
        t.cache["_agent"] = {"agent_first": Pii("PERSON", first), "agent_full": Pii("PERSON", f"{first} {last}")}
    return t.cache["_agent"]


def _from(source, key: str):
    return lambda t: source(t)[key]


# -- slots every scenario can use -------------------------------------------------------------

SLOTS: dict[str, Any] = {
    **{k: _from(person, k) for k in ("full_name", "first_name", "email", "phone", "address", "card", "order")},
    **{k: _from(agent, k) for k in ("agent_first", "agent_full")},
    "thermostat": ["Tempo 3", "Tempo 3", "Tempo Lite"],
    "battery": ["Vault 10", "Vault 15"],
    "plan": ["monthly", "monthly", "annual"],
    "plan_price": by("plan", {"monthly": "$5.99", "annual": "$59.00"}),
    "plus_name": ["Plus", "Quillfield Plus", "my Plus subscription", "the Plus plan", "Plus membership",
                  "the subscription"],
    "phone_model": ["iPhone 12", "iPhone 14 Pro", "iPhone SE", "iPhone 15", "Pixel 7", "Pixel 8a",
                    "Galaxy S21", "Galaxy A54", "OnePlus 11", "iPad", "Moto G"],
    "app_version": lambda t: f"5.{t.rng.randint(8, 14)}.{t.rng.randint(0, 3)}",
    "fw": lambda t: f"4.{t.rng.randint(1, 6)}.{t.rng.randint(0, 9)}",
    "router": ["an Eero mesh", "a Netgear Orbi", "a TP-Link Deco", "the router my ISP gave me",
               "a new Asus router", "Google Wifi", "a Linksys Velop", "a new fiber router"],
    "hvac": ["gas furnace", "heat pump", "boiler", "furnace with central AC", "dual-fuel heat pump",
             "oil furnace", "mini-split heat pump"],
    "wires": ["R, W, Y, G and C wires", "red, white, green and yellow wires", "R, W, G, Y, O and C",
              "only R and W", "Rh, Rc, W, Y and G", "R, C, W1, W2, Y1 and G"],
    "month": MONTHS,
    "month_day": _month_day,
    "renewal_date": _month_day,
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "weeks": ["two weeks", "a month", "three weeks", "about 10 days", "six weeks", "a couple of months"],
    "n_days": num(6, 13),
    "utility": ["Bayline Power", "Cedar Valley Electric", "Northgate Energy Co-op", "Sunmesa Utilities",
                "Harbor County Power", "Tri-River Electric"],
    "carrier": ["UPS", "FedEx", "USPS"],
    "ack_problem": ["Sorry about that!", "Thanks for flagging this.", "Sorry for the confusion here.",
                    "I'm sorry for the trouble.", "Thanks for reaching out about this.",
                    "I understand, that's frustrating.", "Sorry you've run into this.",
                    "Thanks for the details.", "Sorry for the hassle.", "Oh no, let's get that fixed.",
                    "Thanks for getting in touch.", ""],
    "ack_question": ["Good question!", "Happy to help with that.", "Thanks for reaching out.", "Sure thing.",
                     "Great question.", "Thanks for asking.", "Happy to explain.", "Of course!",
                     "Thanks for getting in touch.", ""],
}

# -- the frame around a human conversation ----------------------------------------------------

SYSTEM_PROMPTS = [
    "You are a support agent for Quillfield Home Energy. Be friendly, specific and concise, and give "
    "step-by-step instructions when the customer needs to do something.",
    "You are Quillfield's customer care assistant. Quillfield sells the Tempo smart thermostat, Sense room "
    "sensors, the Vault home battery and the Quillfield Plus subscription. Give accurate policy details and "
    "never ask for full card numbers.",
    "Quillfield Home Energy support. Tone: warm, plain English, no jargon. Escalate safety issues (burning "
    "smell, sparks, battery alarms) immediately.",
    "You help Quillfield customers with billing, devices, installation and their account. If you are not "
    "sure, say so and offer to escalate.",
]

GREETINGS = ["Hi,", "Hello,", "Hey!", "Hi there!", "Good morning!", "Hey there!", "Hello!", "Hi team,",
             "Hi Quillfield,", "Evening.", "Hiya!", "Hi support,", "Hi!", "Good afternoon,"]
USER_SIGNOFFS = ["Thanks", "Thanks!", "Cheers", "Thank you", "thx", "Appreciate it", "Regards",
                 "Thanks in advance", "Any help appreciated!"]
USER_SIGNOFFS_NAMED = ["Thanks,\n{full_name}", "{first_name}", "Cheers,\n{first_name}", "Thank you,\n{full_name}",
                       "- {first_name}", "Regards,\n{full_name}", "thanks, {first_name}"]
AGENT_SIGNOFFS = ["Quillfield Support", "- The Quillfield Support team", "Best,\nQuillfield Customer Care",
                  "Kind regards,\nQuillfield Support", "Take care!"]
AGENT_SIGNOFFS_NAMED = ["{agent_first}, Quillfield Support", "Best,\n{agent_full}\nQuillfield Customer Care",
                        "- {agent_first}", "Kind regards,\n{agent_full}", "Thanks,\n{agent_first} from Quillfield Support",
                        "{agent_full}\nCustomer Care, Quillfield Home Energy"]

THANKS_USER = [
    "[Thanks|Thank you|Perfect, thanks|Great, thank you|Got it, thanks|Brilliant|Super helpful, thanks|Ok great]!"
    "[ Appreciate the quick help.| You've been really helpful.| Have a good one.|]",
    "[That makes sense|Okay, that's clear now|Understood], [thanks|thank you] [for explaining|for the quick answer|"
    "so much].",
    "[Got it|Understood|Makes sense now]. [Thanks again!|Cheers.|Thanks for your help.]",
]
THANKS_AGENT = [
    "[Glad that sorted it|Great to hear|Happy to help|You're welcome|Glad I could help|Anytime]![| If anything else "
    "comes up, just reply to this chat.| Have a great rest of your day.| Enjoy the rest of your week.|]",
    "[You're very welcome|My pleasure]. [I'll close this chat now, but you can reopen it by replying.|Take care!|]",
]

# Background a customer volunteers before or after the question (no PII), by category.
USER_CONTEXT = {
    "billing": [
        "I've been a customer since [2021|2022|2023|the Tempo 2 days].", "I'm on the {plan} plan.",
        "My [husband|wife|partner] set up the account originally, so I'm not sure what we signed up for.",
        "I already looked in the app but couldn't find anything.", "This is the first time I've had a billing issue.",
        "I pay for everything with the same card.", "I run a small business from home so I keep an eye on every "
        "charge.", "We only use the thermostat for the basics.", "I checked the Help Center first.",
        "[Sorry if this is a dumb question.|Not sure if this is the right place to ask.]",
        "I've got the statement open in front of me.",
    ],
    "technical_troubleshooting": [
        "We've had the {thermostat} for {weeks}.", "This started after a power cut[ last week| on {weekday}|].",
        "I'm not very technical, so please keep it simple.", "I already searched the Help Center.",
        "It's the one in the [upstairs hallway|living room|basement|kitchen].", "We're renting, so I'd rather not "
        "open anything up.", "Nothing changed on our end as far as I know.", "It was working perfectly until "
        "[yesterday|this week|the weekend].", "The app is up to date[, version {app_version}|].",
        "[My partner|My dad] installed it himself.", "We have a {hvac}.",
    ],
    "account_access": [
        "I've had the account for a few years.", "I'm using the app on my {phone_model}.",
        "[My partner|My son|My husband] normally handles this stuff.", "I tried on the website too.",
        "It worked fine last month.", "I need to change the heating [tonight|before we leave for the weekend].",
        "I haven't logged in since setting it up.",
    ],
    "shipping_returns": [
        "It was supposed to be a [gift|birthday present].", "I ordered on the website, not the app.",
        "We need it before [the weekend|the cold snap|our installer comes].", "This is my first order with you.",
        "I paid for express shipping.", "I'm usually home during the day.",
    ],
    "installation": [
        "I'm fairly handy but I've never done HVAC wiring.", "The house was built in [the 70s|1988|2004|the 1950s].",
        "We're replacing an old [Honeywell|mercury|round dial] thermostat.", "My electrician is coming [next "
        "week|on {weekday}].", "We already have solar panels.", "It's a two-storey house.",
    ],
    "product_questions": [
        "We're [remodeling|moving into a new build|replacing an old thermostat].", "My [neighbour|brother] has one "
        "and likes it.", "Comparing a few brands at the moment.", "We have a {hvac}.", "Budget matters a bit.",
    ],
    "warranty_claims": [
        "It's been working fine until now.", "I still have the box.", "I registered it when I bought it.",
        "[It's mounted in the hallway.|Nothing else has changed.]",
    ],
    "data_privacy": [
        "I'm a bit cautious about smart home devices.", "I read your privacy policy but it's long.",
        "My employer asked me to check.", "We just sold the house.",
    ],
}
AGENT_LEADINS = [
    "Thanks for your patience while I checked.", "I've had a look at your account.", "Thanks for the clear "
    "description - that helps a lot.", "Let me walk you through it.", "Good news: this one's usually quick to fix.",
    "I can help with that.", "Thanks for waiting.",
]
AGENT_CLOSERS = [
    "Is there anything else I can help with today?", "If you get stuck on any step, reply here and we'll go "
    "through it together.", "I've also added a note to your account so anyone you talk to next has the "
    "background.", "Hope that helps!", "Let me know how you get on.", "Just reply here if you have more "
    "questions.", "Have a good [evening|day|weekend]!", "We're here 7am-10pm Eastern if you need us again.",
]

# What a customer adds about themselves, by category (the planted PII in user turns).
PII_USER = {
    "billing": [
        "[My account email is|The account is under|I signed up with] {email}.",
        "[I'm|This is] {full_name}[, account email {email}|].",
        "[The card that got charged is|The card on file is|Card number is] {card}.",
        "[You can call me|Call me back|Best number to reach me is] [on|at] {phone}[ if that's easier|].",
        "Name on the account: {full_name}. Email: {email}.",
        "[In case you need it, my|My] card is {card}[, exp 09/27| exp 11/26|].",
    ],
    "account_access": [
        "[The account email is|My login is|I log in with] {email}.",
        "[My name is|I'm] {full_name}[ and the account email is {email}|].",
        "[My old number was|The new number is|My phone number is] {phone}.",
        "[The last order I placed was|Recent order number:|Order number] {order}.",
        "[Account holder|The account is in the name of] {full_name}, {email}.",
    ],
    "shipping_returns": [
        "[My order number is|Order number:|Order] {order}.",
        "[It's going to|Shipping address is|The address on the order is] {address}.",
        "[I'm|This is] {full_name}, order {order}.",
        "[You can text me at|Phone:|My cell is] {phone}.",
        "[The new address is|Please send it to|Deliver to] {address}.",
    ],
    "warranty_claims": [
        "[My order number was|Order:|I ordered it under] {order}.",
        "[I'm|Name:] {full_name}[, {email}|].",
        "[Ship the replacement to|Address:|We're at] {address}.",
        "[Call me on|Phone:] {phone}.",
    ],
    "data_privacy": [
        "[My account email is|The account is] {email}.",
        "[I'm|My name is] {full_name}[, account email {email}|].",
    ],
    "default": [
        "[My email on the account is|Account email:|My account is] {email}.",
        "[You can reach me at|My number is|Call me at] {phone}[ if it's easier to talk it through|].",
        "[I'm|It's] {full_name}[ by the way|].",
        "[The address is|We're at|Install address:] {address}.",
        "[Our|The] account is under {full_name}, {email}.",
    ],
}

# An agent repeating a detail back (planted PII in assistant turns).
ECHO = {
    "email": ["[I've sent|You'll get|I've emailed] [a confirmation|a summary of this chat|the details] to "
              "{email}[ shortly| in the next few minutes|].",
              "[Just to confirm, |]the account I [looked at|checked] is the one registered to {email}."],
    "address": ["[Just to confirm, |]we have {address} as the [shipping|delivery] address on file.",
                "Anything we send will go to {address}[ unless you tell us otherwise|]."],
    "phone": ["If it's easier, we can call you at {phone}[ tomorrow| within one business day| during business hours].",
              "I've added {phone} as the callback number on this ticket."],
    "order": ["I've [added a note to|noted this on|linked this chat to] order {order}.",
              "For reference, this is about order {order}."],
    "full_name": ["[Thanks again|Thanks for your patience], {first_name}."],
}
CARD_WARNING = ["For your security, please don't post full card numbers in chat - I've removed it from our "
                "notes.[ We only ever need the last four digits.|]",
                "Quick note: please never share your full card number here. [I've redacted it from the "
                "ticket.|It's been removed from our records.]"]


def echo_for(t: TemplateRow, rng: random.Random) -> str | None:
    """A sentence in which the agent repeats one of the details the customer gave, if any."""
    given = t.cache.get("_person", {})
    used = [k for k in ("card", "email", "address", "phone", "order", "full_name") if _was_used(t, k)]
    if "card" in used:
        return rng.choice(CARD_WARNING)
    options = [k for k in used if k in ECHO]
    if not given or not options:
        return None
    return rng.choice(ECHO[rng.choice(options)])


def _was_used(t: TemplateRow, key: str) -> bool:
    return key in t.cache


# -- synthetic rows ---------------------------------------------------------------------------

SYNTH_SYSTEM_PROMPTS = [
    "You are a helpful customer support assistant.",
    "You are a helpful assistant for a smart home energy company.",
    "You are an AI assistant. Provide helpful, detailed and polite answers to customer questions.",
    "You are a customer service chatbot for Quillfield Home Energy. Always be polite and professional.",
]
SYNTH_USER = [
    "{ask}",
    "{ask}",
    "Hello! {ask} Thank you in advance for your assistance.",
    "Hi, I have a question. {ask}",
    "I need help. {ask} Please provide step-by-step instructions.",
    "Dear Customer Support, {ask} I look forward to your response.",
    "Hello, I am a Quillfield customer. {ask}",
    "Hi there! {ask} Any help would be greatly appreciated.",
]
SYNTH_PII = ["My name is {full_name} and my email is {email}.", "You can reach me at {phone}.",
             "My order number is {order}.", "My address is {address}."]
SYNTH_ANSWERS = [
    "[Certainly|Of course|Absolutely]! I'd be [happy|glad] to help you with {topic}. Here are some steps you can "
    "follow:\n\n{steps}\n\nIf you continue to experience issues, please don't hesitate to reach out to our customer "
    "support team. I hope this helps!",
    "Thank you for reaching out regarding {topic}. I understand how [frustrating|inconvenient] this can be. "
    "[Please try the following steps|Here is what you can do]:\n\n{steps}\n\nIs there anything else I can assist "
    "you with today?",
    "Great question! Many customers have questions about {topic}. Here's what you need to know:\n\n{steps}\n\n"
    "By following these steps, you should be able to [resolve the issue|get everything working] quickly and "
    "easily. Let me know if you have any other questions!",
    "I apologize for any inconvenience you may have experienced with {topic}. To [resolve|address] this, I "
    "recommend the following:\n\n{steps}\n\nThank you for choosing Quillfield Home Energy. Have a [wonderful|great] "
    "day!",
    "Sure, here is a step-by-step guide for {topic}:\n\n{steps}\n\nIn summary, following these steps should help "
    "you with {topic}. If you need further assistance, feel free to ask.",
    "Absolutely! When it comes to {topic}, there are several things you can do:\n\n{steps}\n\nRemember, our "
    "support team is always here to help. Don't hesitate to contact us if you need anything else.",
    "Thank you for your question! {topic_cap} can be [confusing|tricky] at first, but don't worry - I've got you "
    "covered.\n\n{steps}\n\nI hope this information is helpful. Have a nice day!",
]
SYNTH_FOLLOWUPS = [
    ("Thank you for the information! That was very helpful.",
     "You're welcome! I'm glad I could help. If you have any other questions, feel free to ask. Have a great day!"),
    ("What should I do if these steps do not resolve my issue?",
     "If the steps above do not resolve your issue, I recommend contacting our customer support team directly. "
     "They will be able to look into your specific situation and provide further assistance."),
    ("Thank you. Is there anything else I should know?",
     "Great question! It is always a good idea to keep your app and devices up to date and to review your "
     "settings regularly. If you have any other questions, please do not hesitate to reach out."),
    ("Can you explain that in more detail?",
     "Of course! Each of the steps above is designed to address a common cause of this issue. Following them in "
     "order will help identify and resolve the problem. Please let me know which step you would like more "
     "information about."),
]

AI_BOILERPLATE_OPENERS = [
    "As an AI language model, I don't have access to your account or billing records, but I can offer some "
    "general guidance.",
    "As an AI language model, I cannot make changes to your account. However, here are some general steps "
    "that may help:",
    "As an AI language model, I do not have personal experiences, but I can provide information on this topic.",
    "I'm just an AI and cannot access Quillfield's systems, but here is some general information.",
]
AI_BOILERPLATE_CLOSERS = [
    "Please note that as an AI language model, I cannot guarantee the accuracy of this information. Please "
    "consult the official Quillfield documentation.",
    "As an AI language model, I am not able to process refunds or access your personal information.",
    "Disclaimer: As an AI, I do not have real-time access to your devices or account.",
]
# (wrong claim, the actual policy, categories where the claim would come up)
WRONG_POLICIES = [
    ("You can return any Quillfield product within 90 days for a full refund.", "30-day returns",
     {"shipping_returns", "product_questions"}),
    ("All Quillfield thermostats come with a lifetime warranty.", "2-year warranty (3 with Plus)",
     {"warranty_claims", "product_questions", "technical_troubleshooting"}),
    ("Refunds are processed instantly and will appear in your account within minutes.",
     "refunds take 5-10 business days", {"billing", "shipping_returns"}),
    ("Quillfield Plus costs $19.99 per month.", "$5.99/month or $59/year", {"billing", "product_questions"}),
    ("The Vault battery is warranted for 25 years with no capacity limit.", "10 years, 70% capacity",
     {"warranty_claims", "product_questions", "installation"}),
    ("Password reset links never expire, so you can use them at any time.", "reset links expire after 30 minutes",
     {"account_access"}),
    ("The Tempo Lite supports both 2.4 GHz and 5 GHz Wi-Fi networks.", "Tempo Lite is 2.4 GHz only",
     {"technical_troubleshooting", "installation", "product_questions"}),
    ("You can cancel your Vault order and receive your deposit back at any time, even after installation.",
     "deposit refundable until 3 days before installation", {"shipping_returns", "installation"}),
    ("We delete all of your data immediately when you close your account, including invoices.",
     "deleted within 30 days; invoices kept 7 years", {"data_privacy", "account_access"}),
]
PLACEHOLDERS = [
    ("Dear [Customer Name],", "Best regards,\n[Your Name]\nCustomer Support Team"),
    ("Hello {{customer_name}},", ""),
    ("", "Sincerely,\n<AGENT_NAME>\nQuillfield Home Energy"),
    ("Hi [Name],", "Thanks,\n[Support Agent]"),
    ("", "[Insert company signature here]"),
]
OFF_TOPIC = [
    (None, "Here is a simple recipe for banana bread:\n\n1. Preheat your oven to 350°F (175°C).\n2. Mash 3 ripe "
           "bananas in a bowl.\n3. Mix in 1/3 cup melted butter, 3/4 cup sugar, 1 egg and 1 teaspoon vanilla.\n"
           "4. Add 1 teaspoon baking soda, a pinch of salt and 1 1/2 cups flour.\n5. Bake for 60 minutes.\n\nEnjoy!"),
    ("Write a short poem about autumn leaves.",
     "Crimson and gold on the quiet ground,\nLeaves drift softly without a sound.\nThe wind hums low a "
     "farewell song,\nAs autumn whispers, summer's gone."),
    (None, "The Roman aqueducts were a remarkable feat of engineering. Built between 312 BC and 226 AD, they "
           "carried water from distant sources into cities using only gravity, with a gentle downward slope "
           "maintained over many kilometers."),
    ("What is the capital of Australia?",
     "The capital of Australia is Canberra. Many people assume it is Sydney or Melbourne, but Canberra was "
     "chosen as a compromise between the two cities and became the capital in 1913."),
    (None, "Photosynthesis is the process by which green plants use sunlight, water and carbon dioxide to "
           "produce glucose and oxygen. It takes place mainly in the chloroplasts of leaf cells."),
]

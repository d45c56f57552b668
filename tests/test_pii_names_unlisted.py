"""Names no list knows (issue 13): invented names ("Qarvendi", "Zaveria", "Oyelaran-Tusk") found
by the shape of the sentence, by titles and honorifics, by the found name next to them and by the
same word found as a name elsewhere in the dataset; and the ordinary words, products and places
that must stay."""

from __future__ import annotations

import pytest
from conftest import frame
from test_pii import person_values

from workbench.steps.base import StepContext
from workbench.steps.pii.step import Pii

# None of these is in the name lists (checked by test_the_invented_names_are_in_no_list).
INVENTED = ["Qarvendi", "Zaveria", "Oyelaran-Tusk", "Ukwendo", "Brastilov", "Maelorin", "Tuvessa"]

FOUND = [
    # titles and honorifics, in several languages and forms
    ("Mx Qarvendi will sign the lease.", ["Qarvendi"]),
    ("Ms. Zaveria Qarvendi booked the visit.", ["Zaveria Qarvendi"]),
    ("The invoice goes to Herr Brastilov.", ["Brastilov"]),
    ("Frau Tuvessa Ukwendo hat angerufen.", ["Tuvessa Ukwendo"]),
    ("Merci, Mme Maelorin, à demain.", ["Maelorin"]),
    ("Le dossier de M. Qarvendi est complet.", ["Qarvendi"]),
    ("Please forward it to Dr.-Ing. Brastilov.", ["Brastilov"]),
    ("La Sra. Ukwendo llamó ayer.", ["Ukwendo"]),
    ("Sheikh Qarvendi Maelorin sends his regards.", ["Qarvendi Maelorin"]),
    ("Shri Zaveria Ukwendo chaired the meeting.", ["Zaveria Ukwendo"]),
    ("Smt. Tuvessa Brastilov has paid the fee.", ["Tuvessa Brastilov"]),
    ("I emailed Qarvendi-san about the delivery.", ["Qarvendi"]),
    ("Thank you, Maelorin-sama, for the gift.", ["Maelorin"]),
    ("Professor Ukwendo grades the exams.", ["Ukwendo"]),
    # the shape of the sentence
    ("Yesterday Qarvendi said the boiler was fine.", ["Qarvendi"]),
    ("Ukwendo wants to know when the battery ships.", ["Ukwendo"]),
    ('"It is broken again," said Brastilov.', ["Brastilov"]),
    ("I spoke with Zaveria Ukwendo this morning.", ["Zaveria Ukwendo"]),
    ("We got a call from Tuvessa Qarvendi about the leak.", ["Tuvessa Qarvendi"]),
    ("Dear Zaveria,\nyour order has shipped.", ["Zaveria"]),
    ("Hello Maelorin, thanks for writing in.", ["Maelorin"]),
    ("Okay, Zaveria, I will send the label now.", ["Zaveria"]),
    ("Please cc Brastilov on the reply.", ["Brastilov"]),
    ("Signed, Tuvessa Oyelaran-Tusk", ["Tuvessa Oyelaran-Tusk"]),
    ("Approved by Zaveria Qarvendi (manager) on Monday.", ["Zaveria Qarvendi"]),
    ("My colleague Maelorin will call you back.", ["Maelorin"]),
    ("Our daughter Tuvessa lost her key card.", ["Tuvessa"]),
    ("Qarvendi is my landlord and he will not fix it.", ["Qarvendi"]),
    ("Brastilov and I installed the thermostat.", ["Brastilov"]),
    ("The account is under the name Ukwendo Maelorin.", ["Ukwendo Maelorin"]),
    ("Both thermostats are registered to Zaveria Oyelaran-Tusk.", ["Zaveria Oyelaran-Tusk"]),
    # a list with one known name at least is a list of names, whatever its last item is followed by
    ("Is there a better song? Ukwendo and Bowers were engineers.", ["Ukwendo", "Bowers"]),
    ("Three customers called: Qarvendi, Van der Merwe and Szabó.", ["Qarvendi", "Van der Merwe", "Szabó"]),
    # a name-like word next to a found name is part of it
    ("The ticket was opened by Maria Qarvendi Ukwendo yesterday.", ["Maria Qarvendi Ukwendo"]),
    # in lower case, a known first name that is also a noun, announced by a cue or a verb of people
    ("this is selma from flat 3, the sensor is offline", ["selma"]),
    ("selma is from the north office and wants a refund", ["selma"]),
]

NOT_FOUND = [
    "Will you grant me access to the schedule?",
    "Hope the parcel arrives before March.",
    "May I ask when the refund arrives?",
    "March was a busy month for the support team.",
    "Yesterday the technician said the boiler was fine.",
    "Okay, Tuesday works for the visit.",
    "Support said the part ships on Monday.",
    "Everyone said the update fixed it.",
    "Please restart the Tempo Lite and the Eero.",
    "We got a call from Quillfield Support about the leak.",
    "The warehouse in Austin ships within two days.",
    "Thanks, that fixed it!",
    "Registered to the Basic plan since June.",
    "I spoke with customer care this morning.",
    "Hello there, is anyone around?",
    "The Smart Shift mode said the filter was dirty.",
    "I got an email from Germany yesterday.",  # places and companies the dictionary knows
    "Yes, Canada.",
    "I spoke with Amazon about the refund.",
    "The delivery driver said it would come today.",
    "this is so annoying, will it work with my tempo?",  # lower case: words, not names
]


@pytest.fixture(scope="module")
def scanner():
    return Pii().scanner()


def test_the_invented_names_are_in_no_list():
    from workbench.steps.pii.names import faker_names

    first, last = faker_names()
    for name in INVENTED:
        assert name.casefold() not in first and name.casefold() not in last, name


@pytest.mark.slow
@pytest.mark.parametrize("text, names", FOUND)
def test_a_name_no_list_knows_is_found_by_its_shape(scanner, text, names):
    found = person_values(scanner, text)
    for name in names:
        assert any(name in value for value in found), (name, found)
    # ... and the span is the name, not the words around it
    for value in found:
        assert any(value in name or name in value for name in names), (value, names)


@pytest.mark.slow
@pytest.mark.parametrize("text", NOT_FOUND)
def test_words_products_and_places_in_the_same_shapes_are_not_names(scanner, text):
    assert person_values(scanner, text) == []


def test_a_name_like_word_next_to_a_found_name_joins_it():
    from workbench.steps.pii.name_shapes import extend_names
    from workbench.steps.pii.names import Gazetteer

    g = Gazetteer(first=frozenset({"zaveria", "maria"}), last=frozenset(),
                  common=frozenset({"the", "yesterday", "called", "mode", "and", "said", "in"}),
                  nouns=frozenset())
    text = "Yesterday Zaveria Qarvendi called, and Maria Oyelaran-Tusk said so in Eco mode."
    z, m = text.index("Zaveria"), text.index("Maria")
    spans = [(z, z + len("Zaveria")), (m, m + len("Maria"))]
    assert [text[a:b] for a, b in extend_names(text, spans, g)] == ["Zaveria Qarvendi", "Maria Oyelaran-Tusk"]
    # not over an ordinary word, a sentence start, a word of things or a word in capitals
    for text in ("Maria Called it in.", "Hi. Yesterday Maria left.", "Maria Eco mode", "Maria PDF file"):
        m = text.index("Maria")
        assert [text[a:b] for a, b in extend_names(text, [(m, m + 5)], g)] == ["Maria"], text


@pytest.mark.slow
def test_a_word_found_as_a_name_in_one_conversation_is_a_name_in_another():
    records = frame([
        {"user": "Ms. Tuvessa Brastilov booked the visit.", "assistant": "Thanks, noted."},
        {"user": "Why is Brastilov so impulsive?", "assistant": "Sorry about that."},
        {"user": "This song by ex-Zombie Tuvessa is great.", "assistant": "Glad you like it."},
        {"user": "Is the Brastilov plan still on sale?", "assistant": "Yes, the Brastilov plan is."},
        {"user": "The review by Oyelaran-Tusk was fair.", "assistant": "Noted."},
        {"user": "Signed, Zaveria Oyelaran-Tusk", "assistant": "Thanks."},
    ])
    scanner = Pii().scanner()
    # Alone, nothing finds the name in the second and third conversation ...
    assert person_values(scanner, records["messages"][1][0]["content"]) == []
    assert person_values(scanner, records["messages"][2][0]["content"]) == []
    assert person_values(scanner, records["messages"][4][0]["content"]) == []
    out = [[m["content"] for m in msgs]
           for msgs in Pii().run(records, StepContext(step="pii")).kept.get_column("messages")]
    # ... but it is a part of a name found in the first, so it is scrubbed where it stands as a name,
    assert out[1][0] == "Why is <PERSON> so impulsive?"
    assert out[2][0] == "This song by ex-Zombie <PERSON> is great."
    assert out[4][0] == "The review by <PERSON> was fair."  # a hyphenated part too
    # and not where it names a thing.
    assert out[3] == ["Is the Brastilov plan still on sale?", "Yes, the Brastilov plan is."]


def test_the_leak_check_does_not_look_up_a_carried_part_of_a_name_verbatim():
    # The step leaves "the Brastilov plan" (a thing); the leak check must not call it a leak.
    from workbench.steps.pii.leak import scrubbed_values

    rows = [
        ("r1", "PERSON", "Tuvessa Brastilov", "0:4:21", "scan"),
        ("r2", "PERSON", "Brastilov", "0:7:16", "propagated"),  # a part, carried to another conversation
        ("r3", "PERSON", "Ana Dias", "0:0:8", "scan"),
        ("r4", "PERSON", "Ana Dias", "0:4:12", "propagated"),  # a found name, carried
    ]
    values, _ = scrubbed_values(rows, set())
    assert values == {"Ana Dias": "PERSON"}


@pytest.mark.slow
def test_an_export_with_carried_name_parts_passes_its_leak_check(tmp_path):
    from conftest import chat, write_jsonl

    from workbench.services.headless import export_files

    rows = [{"messages": chat(user, assistant)} for user, assistant in [
        ("Ms. Tuvessa Brastilov booked the visit.", "Thanks, noted."),
        ("Why is Brastilov so impulsive?", "Sorry about that."),
        ("Is the Brastilov plan still on sale?", "Yes, the Brastilov plan is."),
    ]]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('[[steps]]\nname = "pii"\n[split]\nholdout = 0.0\n', encoding="utf-8")
    result = export_files([src], tmp_path / "out", recipe_path=recipe)
    check = result.report["leak_check"]
    assert check["leaked"] is False, check
    text = (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8")
    assert "Why is <PERSON> so impulsive?" in text and "the Brastilov plan" in text

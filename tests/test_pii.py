"""The pii step on known sentences: each entity type, each mode, consistent pseudonyms, the allow
list, the reviewer's decisions, and the pattern-only fallback. Model-free unless marked slow."""

from __future__ import annotations

import json
import warnings

import pytest
from conftest import frame

from workbench.errors import ConfigError
from workbench.steps.base import StepContext
from workbench.steps.pii import scan as scan_module
from workbench.steps.pii.engine import ModelMissingWarning, ScanConfig
from workbench.steps.pii.findings import span_key
from workbench.steps.pii.scan import Scanner
from workbench.steps.pii.step import Pii, add_to_allow_list, read_allow_list
from workbench.store import Store

PATTERNS_ONLY = {"spacy_model": "none"}


def run(records, params=None, store=None, human=None, project_dir=None):
    step = Pii.from_params({**PATTERNS_ONLY, **(params or {})}, "test")
    ctx = StepContext(step="pii", store=store, human=human or {}, project_dir=project_dir)
    return step.run(records, ctx)


def texts(result) -> list[list[str]]:
    return [[m["content"] for m in msgs] for msgs in result.kept.get_column("messages").to_list()]


def user_texts(result) -> list[str]:
    return [t[0] for t in texts(result)]


KNOWN = [
    ("Write to me at ana.dias@example.org please.", "EMAIL_ADDRESS", "ana.dias@example.org"),
    ("My number is (415) 555-0198, call after six.", "PHONE_NUMBER", "(415) 555-0198"),
    ("They're not answering at 699 956 915 today.", "PHONE_NUMBER", "699 956 915"),
    ("My cell is +44 7700 900116 if that helps.", "PHONE_NUMBER", "+44 7700 900116"),
    ("Charge the card 4111 1111 1111 1111 again.", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("Please block card no 4415101282806639538 now.", "CREDIT_CARD", "4415101282806639538"),
    ("Refund to IBAN DE89 3704 0044 0532 0130 00 thanks.", "IBAN_CODE", "DE89 3704 0044 0532 0130 00"),
    ("Here's my SSN: 460-89-9847 for the form.", "US_SSN", "460-89-9847"),
    ("The router at 192.168.1.23 keeps dropping.", "IP_ADDRESS", "192.168.1.23"),
    ("Install address: 7137 Larkspur Dr, Austin, TX 78740.", "STREET_ADDRESS", "7137 Larkspur Dr, Austin, TX 78740"),
]


def test_each_pattern_entity_is_replaced_by_its_placeholder_and_the_rest_is_kept():
    records = frame([{"user": text, "assistant": "Thanks, noted."} for text, _, _ in KNOWN])
    result = run(records)
    for (text, entity, value), out in zip(KNOWN, user_texts(result)):
        assert value not in out, (entity, out)
        assert f"<{entity}>" in out, (entity, out)
        assert out.replace(f"<{entity}>", value) == text  # nothing else touched
    assert result.stats["spans"]["PHONE_NUMBER"] == 3
    assert all(d.action == "edit" and d.reason == "pii_scrubbed" for d in result.decisions)
    assert texts(result)[0][1] == "Thanks, noted."


def test_text_without_personal_data_is_left_alone():
    records = frame([{"user": "Do you ship to Canada? The order arrived on 2024-03-05.",
                      "assistant": "Yes, in 5-8 business days; version 4.4.6 fixes it."}])
    result = run(records)
    assert result.decisions == []
    assert result.kept.equals(records)


def test_pseudonyms_are_consistent_across_the_dataset_and_kept_in_the_store(tmp_path):
    store = Store(tmp_path / "wb.db")
    records = frame([
        {"user": "I am bo@example.com, my wife is al@example.com.", "assistant": "Noted, bo@example.com."},
        {"user": "Again from BO@example.com.", "assistant": "Hi al@example.com!"},
    ])
    result = run(records, {"mode": "pseudonym"}, store=store)
    (u1, a1), (u2, a2) = texts(result)
    assert u1 == "I am <EMAIL_ADDRESS_1>, my wife is <EMAIL_ADDRESS_2>."
    assert a1 == "Noted, <EMAIL_ADDRESS_1>."
    assert u2 == "Again from <EMAIL_ADDRESS_1>."  # case does not make another person
    assert a2 == "Hi <EMAIL_ADDRESS_2>!"
    mapping = store.pii.pseudonyms()
    assert mapping[("EMAIL_ADDRESS", "bo@example.com")] == "<EMAIL_ADDRESS_1>"
    # A later run with a new value keeps the old stand-ins and numbers on.
    more = frame([{"user": "new: cy@example.com", "assistant": "and al@example.com"}])
    again = run(more, {"mode": "pseudonym"}, store=store)
    assert texts(again)[0] == ["new: <EMAIL_ADDRESS_3>", "and <EMAIL_ADDRESS_2>"]


def test_fake_pseudonyms_are_realistic_and_the_same_for_the_same_value(tmp_path):
    records = frame([
        {"user": "Mail me at bo@example.com.", "assistant": "Sent to bo@example.com."},
        {"user": "I am al@example.com.", "assistant": "Hello."},
    ])
    result = run(records, {"mode": "pseudonym", "pseudonym_style": "fake"})
    (u1, a1), (u2, _) = texts(result)
    fake = u1.removeprefix("Mail me at ").removesuffix(".")
    assert "@" in fake and fake != "bo@example.com" and "<" not in fake
    assert a1 == f"Sent to {fake}."
    assert u2 != f"I am {fake}."
    assert texts(run(records, {"mode": "pseudonym", "pseudonym_style": "fake"})) == texts(result)


def test_drop_row_mode_drops_rows_with_personal_data_and_says_which():
    records = frame([{"user": "Call 415-555-0198.", "assistant": "Will do."},
                     {"user": "Where is my parcel?", "assistant": "On its way."}])
    result = run(records, {"mode": "drop_row"})
    assert result.kept.height == 1
    assert user_texts(result) == ["Where is my parcel?"]
    (d,) = result.decisions
    assert d.action == "drop" and d.reason == "pii" and d.detail == {"entities": {"PHONE_NUMBER": 1}}


def test_allow_list_from_params_and_from_the_project_file(tmp_path):
    records = frame([{"user": "Write to help@quillfield.com or me: ana@example.org, or ops@quillfield.com.",
                      "assistant": "OK."}])
    result = run(records, {"allow_list": ["help@quillfield.com"]})
    assert user_texts(result) == ["Write to help@quillfield.com or me: <EMAIL_ADDRESS>, or <EMAIL_ADDRESS>."]
    path = tmp_path / "pii_allow_list.txt"
    assert add_to_allow_list(path, "OPS@quillfield.com")
    assert not add_to_allow_list(path, "ops@quillfield.com")  # already there, case ignored
    assert read_allow_list(path) == ["OPS@quillfield.com"]
    result = run(records, {"allow_list": ["help@quillfield.com"]}, project_dir=tmp_path)
    assert user_texts(result) == ["Write to help@quillfield.com or me: <EMAIL_ADDRESS>, or ops@quillfield.com."]


def test_deny_list_and_extra_patterns_add_entities():
    records = frame([{"user": "Order QF-204518 for Zorblax arrived broken.", "assistant": "Sorry, Zorblax!"}])
    result = run(records, {"deny_list": {"NICKNAME": ["Zorblax"]},
                           "patterns": [{"entity": "ORDER_ID", "regex": r"\bQF-\d{6}\b", "score": 0.9}]})
    assert texts(result)[0] == ["Order <ORDER_ID> for <NICKNAME> arrived broken.", "Sorry, <NICKNAME>!"]
    assert result.stats["spans"] == {"NICKNAME": 2, "ORDER_ID": 1}


def test_only_the_chosen_turns_are_scanned():
    records = frame([{"user": "I'm at ana@example.org", "assistant": "Reply sent to ops@example.com"}])
    assert texts(run(records, {"turns": "user"}))[0] == ["I'm at <EMAIL_ADDRESS>", "Reply sent to ops@example.com"]
    assert texts(run(records, {"turns": "assistant"}))[0] == ["I'm at ana@example.org", "Reply sent to <EMAIL_ADDRESS>"]


def test_findings_are_stored_per_span_and_reviewer_decisions_win(tmp_path):
    store = Store(tmp_path / "wb.db")
    text = "Mail ana@example.org or call 415-555-0198; my ref is TK-9981."
    records = frame([{"user": text, "assistant": "OK."}])
    rid = records.get_column("id")[0]
    run(records, store=store)
    rows = store.pii.findings(rid)
    assert [(r["turn"], r["entity"], r["value"]) for r in rows] == [
        (0, "EMAIL_ADDRESS", "ana@example.org"), (0, "PHONE_NUMBER", "415-555-0198")]
    email, phone = rows
    assert text[email["span_start"]:email["span_end"]] == "ana@example.org"
    assert email["score"] == 1.0 and email["recognizer"] == "EmailRecognizer" and email["text_hash"]
    # The reviewer: the phone is a false positive, the ticket ref was missed.
    start = text.index("TK-9981")
    store.decisions.decide("pii", rid, "reject", target=span_key(0, phone["span_start"], phone["span_end"]))
    store.decisions.decide("pii", rid, "flag", target=span_key(0, start, start + 7),
                           detail={"turn": 0, "start": start, "end": start + 7, "entity": "TICKET"})
    human = {(d.record_id, d.target): d for d in store.decisions.standing("pii").values()}
    result = run(records, store=store, human=human)
    assert user_texts(result) == ["Mail <EMAIL_ADDRESS> or call 415-555-0198; my ref is <TICKET>."]
    assert result.stats["rejected_by_reviewer"] == 1 and result.stats["added_by_reviewer"] == 1
    # Withdrawing the reject scrubs the phone again.
    store.decisions.decide("pii", rid, "revert", target=span_key(0, phone["span_start"], phone["span_end"]))
    human = {(d.record_id, d.target): d for d in store.decisions.standing("pii").values()}
    assert "<PHONE_NUMBER>" in user_texts(run(records, store=store, human=human))[0]


def test_a_rejected_value_is_not_carried_to_other_records(tmp_path):
    store = Store(tmp_path / "wb.db")
    records = frame([{"user": "Ticket 415-555-0198 is open.", "assistant": "OK."},
                     {"user": "About 415-555-0198 again.", "assistant": "OK."}])
    first = records.get_column("id")[0]
    run(records, store=store)
    (row,) = store.pii.findings(first)
    store.decisions.decide("pii", first, "reject", target=span_key(0, row["span_start"], row["span_end"]))
    human = {(d.record_id, d.target): d for d in store.decisions.standing("pii").values()}
    assert user_texts(run(records, store=store, human=human)) == ["Ticket 415-555-0198 is open.",
                                                                   "About <PHONE_NUMBER> again."]


def test_without_a_spacy_model_patterns_still_run_and_the_user_is_warned():
    records = frame([{"user": "Ping Ana Dias via ana@example.org.", "assistant": "Hi!"}])
    step = Pii.from_params({"spacy_model": "en_core_web_missing_xx"}, "test")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = step.run(records, StepContext(step="pii"))
    assert any(issubclass(w.category, ModelMissingWarning) and "not installed" in str(w.message) for w in caught)
    assert user_texts(result) == ["Ping Ana Dias via <EMAIL_ADDRESS>."]
    assert result.stats["model"] is None and "only pattern recognizers ran" in result.stats["warning"]


@pytest.mark.parametrize("params, words", [
    ({"score_threshold": 1.5}, "score_threshold"),
    ({"mode": "mask"}, "'mode'"),
    ({"patterns": [{"entity": "X", "regex": "("}]}, "not a valid regular expression"),
    ({"patterns": [{"regex": "a"}]}, "needs entity and regex"),
    ({"entities": ["person"]}, "upper case"),
    ({"deny_list": {"X": "Zorblax"}}, "deny_list.X"),
])
def test_bad_settings_give_a_clear_message(params, words):
    with pytest.raises(ConfigError) as e:
        Pii.from_params(params, "workbench.toml [recipe]")
    assert "workbench.toml [recipe]" in str(e.value) and "pii" in str(e.value) and words in str(e.value)


def _support_texts(n: int) -> list[str]:
    from pathlib import Path

    lines = (Path(__file__).parents[1] / "sample_data" / "support" / "support_chats.jsonl").read_text().splitlines()
    out = []
    for line in lines[:n]:
        out += [m["content"] for m in json.loads(line)["messages"]]
    return out


def test_skipping_recognizers_on_texts_that_cannot_match_loses_no_finding(monkeypatch):
    corpus = _support_texts(150) + [text for text, _, _ in KNOWN]
    config = ScanConfig(entities=Pii().scan_config(None)[0].entities, spacy_model="none")
    fast = Scanner(config).scan(corpus)
    monkeypatch.setattr(scan_module, "may_hold", lambda entity, text: True)
    assert Scanner(config).scan(corpus) == fast
    assert sum(len(s) for s in fast) > 20


def test_two_processes_find_what_one_finds(monkeypatch):
    corpus = _support_texts(120)
    config = ScanConfig(entities=("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"), spacy_model="none")
    one = Scanner(config).scan(corpus, processes=1)
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_TEXTS", 0)
    assert Scanner(config).scan(corpus, processes=2) == one


def test_store_keeps_findings_and_pseudonyms_apart_from_decisions(tmp_path):
    store = Store(tmp_path / "wb.db")
    row = ("r1", 0, 5, 9, "PERSON", 0.85, "SpacyRecognizer", "Anna", "h", "scan")
    assert store.pii.replace_findings([row]) == 1
    assert store.pii.replace_findings([row[:1] + (1,) + row[2:]]) == 1  # replaced, not added
    assert [r["turn"] for r in store.pii.findings()] == [1]
    store.pii.add_pseudonyms([("PERSON", "anna", "Anna", "<PERSON_1>")])
    store.pii.add_pseudonyms([("PERSON", "anna", "ANNA", "<PERSON_9>")])  # a known value keeps its stand-in
    assert store.pii.pseudonyms() == {("PERSON", "anna"): "<PERSON_1>"}
    assert store.pii.values() == [("PERSON", "Anna")]


# -- with the spaCy model ------------------------------------------------------------------------
@pytest.mark.slow
def test_names_are_found_in_context_and_carried_to_their_other_occurrences():
    records = frame([
        {"user": "Hello, my name is borna jerković and my heater is broken.",
         "assistant": "Sorry to hear that, Borna. A technician will call.\n\n- Tom"},
        {"user": "Dr. Kuznetsov asked me to write. Ana Dias is the account holder.",
         "assistant": "Thanks. I have updated the account of Ana Dias."},
        {"user": "Did Ana Dias get my message?", "assistant": "Yes.\n\nPriya, Quillfield Support"},
    ])
    # The small model takes the company's sign-off for a person: the allow list is the fix.
    result = Pii(allow_list=["Quillfield Support"]).run(records, StepContext(step="pii"))
    (u1, a1), (u2, a2), (u3, a3) = texts(result)
    assert u1 == "Hello, my name is <PERSON> and my heater is broken."
    assert a1.endswith("- <PERSON>") and "Borna" not in a1
    assert "Kuznetsov" not in u2 and "Ana Dias" not in u2 + a2 + u3  # found once, replaced everywhere
    assert a3.endswith("<PERSON>, Quillfield Support")
    assert "heater is broken" in u1 and "Quillfield Support" in a3


# -- names the small model misses: name lists and the shape of the text (with the model) --------
NAMES_FOUND = [
    ("Scott is a very kind person.", ["Scott"]),  # one first name, no cue
    ("please ask priya raman about the refund", ["priya raman"]),  # lower case: first name + surname
    ("my landlord mr. okafor wont let me rewire it", ["okafor"]),  # lower-case title
    ("Sgt. Morales will collect the parcel.", ["Morales"]),  # a title the model may miss
    ("The founders are Kónya, Becker and Vasquez.", ["Kónya", "Becker", "Vasquez"]),  # a list of surnames
    ("they had three kids: silvana, kristina and caleb.", ["silvana", "kristina", "caleb"]),  # lower-case list
    ("Ubul: What a day.\nNicole: Remember me?", ["Ubul", "Nicole"]),  # transcript labels
    ("Hope Nakamura called about the invoice.", ["Hope Nakamura"]),  # a first name that is a word
    ("Ravil G Yefimov will sing tonight.", ["Ravil G Yefimov"]),  # a middle initial
]

NOT_NAMES = [
    "Will you grant me access to the summer schedule?",
    "May I mark this bill as paid?",
    "Hope the Tempo Lite arrives by June.",
    "The warehouse in Austin ships within two days.",  # a first name, but a place here
    "Eco mode saves energy on hot days.",  # a first name, but a thing here
    "Grant the app location access and try again.",
    "hey there! my order still hasn't arrived. it's been 10 days.",  # lower case, no name in it
    "there's holes and paint marks on the wall. any trim plate?",  # lower case: "Marks" is a surname, here a noun
    "Breaker is fine. Equipment setting says mini-split heat pump, refnud please.",  # the model's guesses
]


@pytest.fixture(scope="module")
def scanner():
    return Pii().scanner()


def person_values(scanner, text: str) -> list[str]:
    return [text[s.start:s.end] for s in scanner.analyze(text) if s.entity == "PERSON"]


@pytest.mark.slow
@pytest.mark.parametrize("text, names", NAMES_FOUND)
def test_names_the_model_misses_are_found_by_the_name_rules(scanner, text, names):
    found = person_values(scanner, text)
    for name in names:
        assert any(name in value for value in found), (name, found)


@pytest.mark.slow
@pytest.mark.parametrize("text", NOT_NAMES)
def test_common_words_that_are_also_names_are_not_scrubbed(scanner, text):
    assert person_values(scanner, text) == []


@pytest.mark.slow
def test_a_name_after_a_contraction_is_the_name_alone(scanner):
    assert person_values(scanner, "We have a boiler. I'm Lucia Ortega by the way.") == ["Lucia Ortega"]


@pytest.mark.slow
def test_a_product_written_like_a_thing_is_not_a_person_but_a_person_of_the_same_name_is():
    records = frame([
        {"user": "My Eero keeps dropping the thermostat.", "assistant": "Restart the Eero first."},
        {"user": "Is an Eero supported?", "assistant": "Yes, the Eero works with it."},
        {"user": "Eero Virtanen here, my sensor is offline.", "assistant": "Thanks, Eero Virtanen."},
    ])
    (u1, a1), (u2, a2), (u3, a3) = texts(Pii().run(records, StepContext(step="pii")))
    assert (u1, a1, u2, a2) == ("My Eero keeps dropping the thermostat.", "Restart the Eero first.",
                                "Is an Eero supported?", "Yes, the Eero works with it.")
    assert "Virtanen" not in u3 + a3 and "<PERSON>" in u3


def test_ordinary_english_words_are_not_taken_for_names():
    from workbench.steps.pii.names import Gazetteer, ordinary_words

    g = Gazetteer(first=frozenset({"rose", "hope", "ana"}), last=frozenset({"brown", "power", "dias"}),
                  common=frozenset({"switch", "smart", "shift", "storm", "watch", "hope", "rose", "brown",
                                    "power", "central", "track"}),
                  nouns=frozenset({"gateway", "goldberg", "ana", "dias", "meter"}))
    assert ordinary_words("Switch", g) and ordinary_words("Tracking", g) and ordinary_words("JSON", g)
    assert ordinary_words("Smart Shift", g) and ordinary_words("Storm Watch", g) and ordinary_words("Central AC", g)
    assert ordinary_words("smart meter", g)
    assert not ordinary_words("Hope", g) and not ordinary_words("Power", g)  # names that are words
    assert not ordinary_words("Rose Brown", g)  # a first name and a surname
    assert not ordinary_words("Goldberg", g)  # a noun only: the noun list holds famous names
    assert not ordinary_words("Ana Dias", g)


def test_a_name_span_does_not_run_into_the_next_sentence():
    # The model reads "Moto G. My" as one person; the ordinary word after the full stop is not
    # part of it, so the allow list (a phone model, not a person) matches what is left.
    scanner = Pii(allow_list=["Moto G"]).scanner()
    text = "I'm on Moto G. My number is +1 (604) 555-0196."
    assert [text[s.start:s.end] for s in scanner.analyze(text) if s.entity == "PERSON"] == []
    named = "Please ask John J. Smith about it."
    assert [named[s.start:s.end] for s in scanner.analyze(named) if s.entity == "PERSON"] == ["John J. Smith"]

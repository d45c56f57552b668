"""Street addresses in the shapes the world writes them, found by the pii step's scanner, and the
place names, products and numbers around them that must stay. Model-free: the scanner runs its
pattern recognizers only (the address recognizer needs no model)."""

from __future__ import annotations

import pytest
from conftest import frame

from workbench.steps.base import StepContext
from workbench.steps.pii.step import Pii

PATTERNS_ONLY = {"spacy_model": "none"}


@pytest.fixture(scope="module")
def scanner():
    return Pii.from_params(PATTERNS_ONLY, "test").scanner()


def addresses(scanner, text: str) -> list[str]:
    return [text[s.start:s.end] for s in scanner.analyze(text) if s.entity == "STREET_ADDRESS"]


# (text, parts that one address span must cover: house number and street, unit, postcode...)
FOUND = [
    # US and Canada: number, street, direction, unit, town, state, ZIP.
    ("Send it to 1600 Pennsylvania Ave NW, Washington, DC 20500 please.",
     ["1600 Pennsylvania Ave NW", "DC 20500"]),
    ("My flat is 350 Fifth Avenue, Apt 4B, New York, NY 10118.", ["350 Fifth Avenue", "Apt 4B", "NY 10118"]),
    ("Deliver to 4105 Copper Creek Ct Unit 18, Columbus, OH 43257.", ["4105 Copper Creek Ct", "Unit 18", "43257"]),
    ("Ship to 1234 Main St #12, Springfield, IL 62704", ["1234 Main St", "#12", "62704"]),
    ("Our office: 221B Baker Street, Suite 210, Toronto, ON M5V 2T6.", ["221B Baker Street", "Suite 210", "M5V 2T6"]),
    ("Unit 4/12 Smith St, Sydney NSW 2000", ["Unit 4/12 Smith St", "NSW 2000"]),
    ("Apple is at 1 Infinite Loop, Cupertino, CA 95014.", ["1 Infinite Loop", "CA 95014"]),
    # UK: flat, house number, street, postcode.
    ("Flat 3, 12 Baker Street, London NW1 6XE", ["Flat 3", "12 Baker Street", "NW1 6XE"]),
    ("Write to 10 Downing Street, London SW1A 2AA.", ["10 Downing Street", "SW1A 2AA"]),
    ("It's SW1A 1AA London, next to the palace.", ["SW1A 1AA London"]),
    ("The postcode is London EC1A 1BB.", ["London EC1A 1BB"]),
    ("12 The Avenue, Bristol BS7 8AX", ["12 The Avenue", "BS7 8AX"]),
    # Continental: street name then number, postcode before the town.
    ("Meine Adresse: Hauptstraße 5, 10115 Berlin", ["Hauptstraße 5", "10115 Berlin"]),
    ("Karl-Marx-Allee 12, 10178 Berlin", ["Karl-Marx-Allee 12", "10178 Berlin"]),
    ("Please send to Rue de Rivoli 12, 75001 Paris.", ["Rue de Rivoli 12", "75001 Paris"]),
    ("She lives at 12 rue de Rivoli, 75001 Paris, France.", ["12 rue de Rivoli", "75001 Paris"]),
    ("Le siège: 8 avenue des Champs-Élysées, Paris 75008.", ["8 avenue des Champs-Élysées", "Paris 75008"]),
    ("Via Roma 131, 00184 Roma", ["Via Roma 131", "00184 Roma"]),
    ("Calle Mayor 10, 28013 Madrid", ["Calle Mayor 10", "28013 Madrid"]),
    ("Calle Mayor, 10, 3º B, 28013 Madrid", ["Calle Mayor, 10", "3º B", "28013"]),
    ("ul. Marszałkowska 84/92, 00-514 Warszawa", ["ul. Marszałkowska 84/92", "00-514"]),
    ("Kungsgatan 44, 111 35 Stockholm", ["Kungsgatan 44", "111 35"]),
    ("The bus station is on Villacher Strasse 89.", ["Villacher Strasse 89"]),
    ("We met at Erzsébet tér 19. in Budapest", ["Erzsébet tér 19"]),
    # Latin-American.
    ("Av. Paulista 1578, Bela Vista, São Paulo - SP, 01310-200", ["Av. Paulista 1578", "SP, 01310-200"]),
    ("Calle 26 #68-35, Bogotá", ["Calle 26 #68-35"]),
    ("Carrera 7 No. 71-21, Bogotá", ["Carrera 7 No. 71-21"]),
    ("Av. Reforma 222, Col. Juárez, 06600 Ciudad de México", ["Av. Reforma 222", "06600 Ciudad de México"]),
    ("Av. 6 N° 481, Paraná", ["Av. 6 N° 481"]),
    # Asian orders: Japanese blocks and postcodes, Chinese and Korean roads, Indian flats and PINs.
    ("1-2-3 Shibuya, Shibuya-ku, Tokyo 150-0002", ["1-2-3 Shibuya", "150-0002"]),
    ("Nihonbashi 2-1-1, Chuo-ku, Tokyo 103-0027", ["Nihonbashi 2-1-1", "103-0027"]),
    ("Ship to 3-4-5 Shinjuku, Tokyo 160-0022", ["3-4-5 Shinjuku", "160-0022"]),
    ("Post it to 〒150-0002 Tokyo.", ["〒150-0002"]),
    ("Ginza 4-chome 6-16, Chuo-ku", ["4-chome 6-16"]),
    ("住所は東京都渋谷区渋谷1-2-3です", ["東京都渋谷区渋谷1-2-3"]),
    ("北京市朝阳区建国路88号", ["北京市朝阳区建国路88号"]),
    ("서울특별시 종로구 세종대로 175", ["세종대로 175"]),
    ("No. 88 Jianguo Road, Chaoyang District, Beijing 100022", ["No. 88 Jianguo Road", "Beijing 100022"]),
    ("Our office is at Jianguo Road No. 88, Chaoyang District.", ["Jianguo Road No. 88"]),
    ("175 Sejong-daero, Jongno-gu, Seoul 03172", ["175 Sejong-daero", "03172"]),
    ("Flat 12B, MG Road, Bengaluru 560001", ["Flat 12B, MG Road", "560001"]),
    ("12, MG Road, Bengaluru - 560001", ["12, MG Road", "560001"]),
    ("ул. Тверская, д. 7, Москва", ["ул. Тверская, д. 7"]),
    # PO boxes and military mail.
    ("P.O. Box 1234, Anchorage, AK 99501", ["P.O. Box 1234", "AK 99501"]),
    ("Send the cheque to PO Box 77.", ["PO Box 77"]),
    ("Postfach 10 01 01, 50441 Köln", ["Postfach 10 01 01", "50441 Köln"]),
    ("Apartado 123, Lima", ["Apartado 123"]),
    ("Caixa Postal 45, 70000-000 Brasília", ["Caixa Postal 45", "70000-000"]),
    ("Meet me at PSC 1437, Box 3833\nAPO AA 66791", ["PSC 1437, Box 3833", "APO AA 66791"]),
    ("Please return to Unit 4719 Box 7394.", ["Unit 4719 Box 7394"]),
    # Weak shapes, confirmed by what is around them.
    ("The address is 28030 Edeby 55, Apt. 297.", ["28030 Edeby 55", "Apt. 297"]),
    ("Ship to Baker Street 12, Flat 3, London NW1 6XE", ["Baker Street 12", "Flat 3", "NW1 6XE"]),
    ("He lives on the north side of Joaquin Suarez 2906.", ["Joaquin Suarez 2906"]),
    ("I now live at 4966 Bond Passage, Suite 413, Warwick, RI 02886.", ["4966 Bond Passage", "Suite 413", "02886"]),
    ("Chládkova 901\n159 08 Boží Dar", ["Chládkova 901", "159 08"]),
    ("Ask for the corner of 159 Eleftheriou Venizelou str and Rennie Union.", ["159 Eleftheriou Venizelou str"]),
]


@pytest.mark.parametrize("text, parts", FOUND, ids=[t[:40] for t, _ in FOUND])
def test_addresses_are_found_with_their_number_street_unit_and_postcode(scanner, text, parts):
    found = addresses(scanner, text)
    assert len(found) == 1, found  # one span: street, unit and postcode are one address
    assert all(part in found[0] for part in parts), (parts, found)


# Place names, products, rooms, dates and quantities: no address in any of them.
NOT_ADDRESSES = [
    "Do you ship to Canada?",
    "Our office in Paris opens at 9.",
    "The warehouse in Austin, TX ships within 2 days.",
    "I moved to Berlin last year.",
    "Tokyo is lovely in spring.",
    "The store is on Main Street near the park.",
    "My Vault 10 and Tempo 3 both lost wifi.",
    "Meet at Gate 12 at 10:30.",
    "I bought 2 Tempo Lite units and 3 Vault 15 sensors.",
    "Windows 10 and Android 14 are supported.",
    "Please see Chapter 5 and Section 12.",
    "It happened on March 5, 2024 in London.",
    "Version 4.4.6 fixes it; order QF-1234567 shipped on 12 May.",
    "The 9 Supreme Court justices met at 10.",
    "Plug the 2 TB Drive into port 3.",
    "I walked 5 more blocks down the street.",
    "Room 101 is on Floor 3 of Building 7.",
    "Take Route 66 to Highway 101.",
    "Smith et al. Nature 2019 reported it.",
    "The Boeing 747 landed at Terminal 2.",
    "Place Order 5 times if it fails.",
    "Send it via Tempo 3 please.",
    "I'm on OnePlus 11, Android 14.",
    "He scored 2-1-0 in Tokyo.",
    "The M2 8GB Laptop is fine.",
    "I live in Berlin 5 days a week.",
    "Please deliver to me: 2 Vault 10 and 1 Tempo.",
    "From 2019 Park Avenue rents rose.",
    "Montafia, Italy",
    "Copyright 2019 Google LLC\nCopyright (c) 2017 Facebook Inc.",
    "Test Drive 2 is a game.",
    "Our address book has 300 contacts.",
]


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_places_products_and_numbers_are_not_addresses(scanner, text):
    assert addresses(scanner, text) == []


def test_an_address_ends_before_the_sentence_goes_on(scanner):
    assert addresses(scanner, "5 Main St. closes at 9") == ["5 Main St"]
    assert addresses(scanner, "I live at 12 Baker Street, London, and love it.") == ["12 Baker Street"]
    # An address cue counts in its own sentence only: "Vault 15" is the product (support chats).
    text = ("hi, my address is 2629 Orchard Dr, Chattanooga, TN 37479. the power went out last night "
            "and the Vault 15 only powered some rooms. what happened?")
    assert addresses(scanner, text) == ["2629 Orchard Dr, Chattanooga, TN 37479"]
    assert addresses(scanner, text.replace("2629 Orchard Dr, Chattanooga, TN 37479", "<STREET_ADDRESS>")) == []


def test_an_address_block_is_one_span_from_the_street_to_the_postcode(scanner):
    block = "974 Via Roma 131\n Apt. 425\n Montafia\n Italy 39767"
    assert addresses(scanner, f"Ship to:\n{block}\nThanks!") == [block]
    # A town or a country after the last postcode is a bare place name: it stays.
    label = "Jane Roe\n42 Elm Road\nFlat 2\nLeeds\nLS6 2QT\nUnited Kingdom"
    assert addresses(scanner, label) == ["42 Elm Road\nFlat 2\nLeeds\nLS6 2QT"]
    # Quoted or bulleted lines are one block too.
    quoted = ">228 Ringvej 144\n>Apt. 902\n>Qaqortoq\n>Greenlander 96817"
    assert addresses(scanner, quoted) == [quoted[1:]]


def test_every_documented_shape_is_exercised_by_the_table():
    from workbench.steps.pii.address_shapes import ANCHORS
    from workbench.steps.pii.addresses import AddressRecognizer

    recognizer = AddressRecognizer()
    used = {name for text, _ in FOUND for f in recognizer.find(text) for name in f.anchors.split("+")}
    assert {a.name for a in ANCHORS} - used == set()


def test_the_step_scrubs_the_address_and_leaves_the_places_around_it():
    records = frame([
        {"user": "Do you ship to Canada? If so, send it to Hauptstraße 5, 10115 Berlin, Germany.",
         "assistant": "Yes, our warehouse in Austin, TX ships there in 5-8 days."},
    ])
    result = Pii.from_params(PATTERNS_ONLY, "test").run(records, StepContext(step="pii"))
    user, assistant = [m["content"] for m in result.kept.get_column("messages").to_list()[0]]
    assert user == "Do you ship to Canada? If so, send it to <STREET_ADDRESS>, Germany."
    assert assistant == "Yes, our warehouse in Austin, TX ships there in 5-8 days."

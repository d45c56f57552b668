"""Street addresses in the shapes the world writes them, without the bare place names around them.

`AddressRecognizer` finds an address in two steps:

1. An *anchor*: a shape that only an address has. Each is one entry of `ANCHORS` below, with
   its name, examples and score: a house number with a street ("1600 Pennsylvania Ave NW",
   "12 rue de Rivoli", "Hauptstraße 5", "Via Roma 131", "ul. Marszałkowska 84/92",
   "Calle 26 #68-35"), a PO box ("P.O. Box 1234", "Postfach 10 01 01"), a Japanese block
   number ("1-2-3 Shibuya, Shibuya-ku"), an address written in Chinese, Japanese or Korean
   script, a UK postcode next to its town ("SW1A 1AA London").
2. The anchor grows over what belongs to the same address:
   - before it, a unit ("Flat 3, ", "Apt. 675 ") and a building number ("28245 " of
     "28245 Puruntie 82");
   - after it on its line, units ("Apt 4B", "Suite 210", "#12", "3rd Floor"), postcodes
     ("20500", "NW1 6XE", "01310-200", "150-0002", "560001"), state codes ("DC", "- SP") and the
     place names between them (", Washington, DC 20500", ", 10115 Berlin");
   - on the lines below it (an address block), unit, place and postcode lines ("\\n Apt. 425\\n
     Montafia\\n Italy 39767").

   The span ends at the last unit, postcode or state code: a place name is scrubbed only where it
   stands between the parts of an address or next to its postcode ("75008 Paris",
   "Paris 75008"). A town or country after the last of them ("12 Baker Street, London",
   "...\\n Warwick\\n United States") stays, as do place names anywhere without a street, a PO
   box or a postcode: "ship to Canada", "our office in Paris", "the warehouse in Austin, TX".

Some anchors are weak: a street word that is also an English word ("Park", "Union", "Pass",
"Hill"), an English street word before its number ("Baker Street 12", "Test Drive 2"), a name
between two numbers ("28030 Edeby 55"), or a name and a number after an address cue ("lives on
Joaquin Suarez 2906"). They count only when the address around them confirms them: a unit,
a postcode (other than a bare number) or a state code after them or on an address line below, a
unit before them, or a cue word just before them in their sentence ("address", "lives at",
"ship to"; for a bare name and number only "address", "lives at/on", "located at"). Product names with a
number ("Vault 10", "Tempo 3", "Gate 12") have no street word and no house number, and stay.

Imported only when a scan is built (it imports presidio_analyzer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from presidio_analyzer import LocalRecognizer, RecognizerResult

from .address_shapes import (ANCHORS, Anchor, _CJK, _CONNECTORS, _CUE, _DIGITS, _NAME_FIRST, _NEEDS, _NEVER_NAMES,
                             _NOT_STREETS, _NOT_STREET_NAMES, _NUMBER, _NUMBER_FIRST, _POSTCODE, _STREET_WORD,
                             _STRONG_CUE, _UNIT, _UNIT_WORDS, _WORD, _WORDS, _YEAR, _bare, _capitalised, _hot,
                             _WORD_NEEDS, _name_word_ok, _names_ok, _stop_words, _windows)
from .recognizers import WordClasses, _result

# -- what grows an anchor --------------------------------------------------------------------

_SEP = r"(?:[ \t]*,[ \t]*|[ \t]+[-–][ \t]+|[ \t]*-[ \t]*(?=\d)|[ \t]+)"
_PLACE = rf"{_WORD}(?:[ \t]+{_WORD}){{0,3}}"


def _part_regex(sep: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<sep>{sep})(?:"
        rf"(?P<unit>{_UNIT})"
        rf"|(?P<mil>(?i:APO|FPO|DPO)[ \t]+(?i:AA|AE|AP)[ \t]+\d{{5}})(?![\w])"
        rf"|(?P<post>{_POSTCODE})(?:[ \t]+(?P<postplace>{_PLACE}))?"
        rf"|(?P<place>{_PLACE})(?:(?:[ \t]*,[ \t]*|[ \t]+[-–][ \t]+)(?P<state>[A-Z]{{2,3}})(?![\w]))?"
        rf"(?:{_SEP}(?P<post2>{_POSTCODE}))?"
        rf")")


_PART = _part_regex(_SEP)  # a part after another on the same line
_FIRST_PART = _part_regex(r"[ \t]*,?[ \t]*")  # the first part of a line below
# A line break inside an address block; the next line may start with a quote mark or a bullet
# (or the "???" an unreadable bullet becomes).
_LINE_BREAK = re.compile(r"[ \t]*[.,;:]?[ \t]*\n[ \t]*(?:[>*•·‣◦▪-]+|\?{1,3}(?=[ \t]))?[ \t]*")
_LEFT = re.compile(rf"(?:(?P<unit>{_UNIT})(?:[ \t]*[,/]?[ \t]*|[ \t]*\n[ \t>]*))?"
                   rf"(?P<number>(?<![\w.,:/#-])\d{{2,6}}[ \t]*,?[ \t]+)?$")
_PARENS = re.compile(r"[ \t]*\([^\W\d_][^\W\d_ \t]*(?:[ \t][^\W\d_]+)?\)")  # "Cyprus (Greek)", "Cloz (TN)"


@dataclass
class Found:
    """An address span and the anchors that found it ("number_name_street+po_box")."""

    start: int
    end: int
    score: float
    anchors: str


class AddressRecognizer(LocalRecognizer):
    """Street addresses, PO boxes and postcodes with their town, in many countries' orders."""

    ENTITY = "STREET_ADDRESS"
    MAX_LINES = 6  # address lines below the anchor

    def __init__(self, supported_language: str = "en") -> None:
        self.words = WordClasses(_WORD_NEEDS.values())  # anchors: (anchor, regex, street word's bit, _NEEDS piece)
        self.anchors = [(a, re.compile(a.pattern, re.MULTILINE), self.words.bits.get(_WORD_NEEDS.get(a.name, ""), 0),
                         re.compile(_NEEDS[a.name], re.MULTILINE) if a.name in _NEEDS else None) for a in ANCHORS]
        super().__init__(supported_entities=[self.ENTITY], supported_language=supported_language,
                         name="AddressRecognizer")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        out = []
        for f in self.find(text):
            result = _result(self.ENTITY, f.start, f.end, f.score, self)
            result.analysis_explanation.pattern_name = f.anchors
            out.append(result)
        return out

    # -- finding -------------------------------------------------------------------------------
    def find(self, text: str) -> list[Found]:
        """Address spans, merged where they overlap or touch."""
        lower = not any(c.isupper() for c in text)
        found: list[Found] = []
        near_digits = _windows(text, _DIGITS)
        if not near_digits:
            return []
        # Most anchors hold a street, unit or PO box word: their regexes (slow on long texts) only
        # read the text around such words, where a digit is near too.
        near_words = near_digits if _CJK.search(text) else [
            (a, b) for a, b in _windows(text, _WORDS, _hot) if _DIGITS.search(text, a, b)]
        words: dict[tuple[int, int], int] = {}  # window -> the street words in it
        seen: dict[Any, Any] = {}  # what is before and after a position (_grow), for the anchors that share it
        for anchor, pattern, word, needs in self.anchors:
            for start, stop in near_words if anchor.street_word else near_digits:
                if word:
                    if (start, stop) not in words:
                        words[start, stop] = self.words.of(text, start, stop)
                    if not words[start, stop] & word:
                        continue
                if needs is not None and needs.search(text, start, stop) is None:
                    continue
                pos = start
                while pos < stop:
                    m = pattern.search(text, pos, stop)
                    if m is None:
                        break
                    span = self._grow(text, anchor, m, lower, seen)
                    if span is None:
                        pos = m.start() + 1  # a shorter match may start inside this one
                        continue
                    found.append(span)
                    pos = max(m.end(), m.start() + 1)
        return _merge(found, text)

    def _grow(self, text: str, anchor: Anchor, m: re.Match[str], lower: bool, seen: dict) -> Found | None:
        bounds = self._anchor(text, anchor, m, lower)
        if bounds is None:
            return None
        start, end = bounds
        while end > start and text[end - 1] in " \t.,;:":
            end -= 1
        confirmed = m.groupdict().get("unit") is not None  # "2505 Heatherleigh Suite 620"
        if ("left", start) not in seen:
            seen["left", start] = _LEFT.search(text, max(0, start - 40), start)
        left = seen["left", start]
        if left and (left.group("unit") or (left.group("number") and anchor.name != "number_name_number")):
            start = left.start() if left.group("unit") else left.start("number")
            confirmed = left.group("unit") is not None  # a number before proves nothing ("OnePlus 11, Android 14")
        if ("right", end) not in seen:
            seen["right", end] = self._extend(text, end, lower)
        end, grown = seen["right", end]
        if anchor.weak and not (confirmed or grown) and not _cued(text, start, anchor):
            return None
        return Found(start, end, anchor.score, anchor.name)

    def _anchor(self, text: str, anchor: Anchor, m: re.Match[str], lower: bool) -> tuple[int, int] | None:
        """The anchor's (start, end) once its words are checked, or None."""
        groups = m.groupdict()
        start, end = m.span()
        if anchor.name == "corner":
            return _corner(text, m, lower)
        if "tail" in groups:
            return self._tail(text, m, lower)
        name = groups.get("name") or groups.get("name2")
        if name is None:
            return start, end
        name_start = m.start("name") if groups.get("name") else m.start("name2")
        words = name.split()
        if anchor.name in _NAME_FIRST:  # "the Hauptstraße 5", "On Villacher Strasse 89"
            while len(words) > 1 and (_bare(words[0]) in _stop_words() or _bare(words[0]) in _CONNECTORS
                                      or (not lower and not _capitalised(words[0]))):
                cut = text.index(words[0], name_start) + len(words[0])
                name_start = cut + len(text[cut:]) - len(text[cut:].lstrip())
                words = words[1:]
            if name_start > start and (groups.get("name") and m.start("name") == start
                                       or groups.get("name2") and m.start("name2") == start):
                start = name_start
        if anchor.name == "name_street_number" and len(words) > 1 and _capitalised(words[0]) and not lower:
            # "Árpád fejedelem útja 62.": lower-case words inside a capitalised name
            if not _names_ok([words[0]], lower) or any(_bare(w) in _stop_words() for w in words[1:]):
                return None
        elif not _names_ok(words, lower):
            return None
        if anchor.name in _NUMBER_FIRST:
            if not _capitalised(words[0]) and _bare(words[0]) in ("of", "the", "upon", "and", "y", "e", "et", "i",
                                                                  "og", "och", "und", "am", "an"):
                return None  # "3 of Building 7"
            year = _YEAR.search(text, max(0, start - 12), start + 5)
            if year is not None and year.end() == start + 4:
                return None
        if anchor.weak and any(_bare(w) in _UNIT_WORDS or _bare(w) in _NEVER_NAMES for w in words):
            return None  # "Room 101 is on Floor 3 of Building 7", "on March 5"
        if groups.get("suffix") is not None and _bare(words[-1]) in _NOT_STREET_NAMES:
            return None
        joined = groups.get("joined")
        if joined is not None and (_bare(joined) in _NOT_STREETS or (not lower and not _capitalised(joined))):
            return None
        if anchor.name == "cued_name_number" and any(_STREET_WORD.fullmatch(w) for w in words):
            return None  # a street the other anchors judge
        return start, end

    def _tail(self, text: str, m: re.Match[str], lower: bool) -> tuple[int, int] | None:
        """"12 rue de Rivoli", "137 Avenue Teboulbi": the name is the words after the street word,
        up to its last capitalised one (lower-case ones too after "rue", "calle", "via"... when a
        capitalised word or a number follows them: "70248 31 Rue tachkent St.", "rue du centre 320")."""
        words = list(re.finditer(r"\S+", m.group("tail")))
        foreign = m.group("foreign") is not None
        keep = 0
        for i, w in enumerate(words):
            word = w.group()
            if _bare(word) in _CONNECTORS:
                continue
            if _name_word_ok(word, lower):
                keep = i + 1
            elif foreign and _bare(word) not in _stop_words() and _bare(word) not in _NEVER_NAMES:
                continue  # kept only if a capitalised word comes after it
            else:
                break
        after = m.start("tail") + words[-1].end()
        if keep < len(words) and foreign and _SPACE_NUMBER.match(text, after) and all(
                _bare(w.group()) not in _stop_words() or _bare(w.group()) in _CONNECTORS for w in words[keep:]):
            keep = len(words)  # "rue du centre 320"
        if not keep:
            return None
        return m.start(), m.start("tail") + words[keep - 1].end()

    def _extend(self, text: str, end: int, lower: bool) -> tuple[int, bool]:
        """The end of the address whose anchor ends at `end`, and whether more address parts (a
        unit, postcode or state code, on its line or the lines below) were found."""
        pos, end, grown = self._parts(text, end, _PART, lower)
        for _ in range(self.MAX_LINES):  # the address lines below, while each is all address
            brk = _LINE_BREAK.match(text, pos)
            if brk is None:
                break
            line_end = text.find("\n", brk.end())
            line_end = len(text) if line_end < 0 else line_end
            p, line_last, line_grown = self._parts(text, brk.end(), _FIRST_PART, lower)
            if p == brk.end():
                break
            if line_last > brk.end():  # a line with a unit or postcode: the lines above are in
                end, grown = line_last, grown or line_grown
            if not re.match(r"[ \t]*[.,;:!?]?[ \t]*$", text[p:line_end]):
                break  # the sentence goes on after the address ("...\n10115 Berlin by Friday")
            pos = p
        return end, grown

    def _parts(self, text: str, pos: int, first: re.Pattern[str], lower: bool) -> tuple[int, int, bool]:
        """Address parts from `pos` on one line: where they end, where the last unit, postcode or
        state code ends (`pos` when none), and whether one of them proves an address (a bare
        number does not)."""
        start = last = pos
        grown = False
        regex = first
        before = ""
        for _ in range(8):
            m = regex.match(text, pos)
            if m is None:
                break
            found = _kind(m, lower, regex is _FIRST_PART)
            regex = _PART
            if found is None:
                break
            kind, pos = found
            if kind == "place" and before in ("postcode", "number") and not m.group("sep").strip():
                kind = before  # "06600 Ciudad de México": the town of the postcode before it
            paren = _PARENS.match(text, pos) if m.group("place") or m.group("postplace") else None
            if paren:
                pos = paren.end()
            if kind != "place":
                last = pos
                grown = grown or kind != "number"
            before = kind
            if pos < m.end():
                break  # a part that ended early ends the address
        while last > start and text[last - 1] in ".,;:":
            last -= 1  # "Paris." ends a sentence
        return pos, last, grown


# A postcode that is a bare number: part of an address after a street, but no proof of one
# ("Copyright 2017 Facebook Inc").
_BARE = re.compile(r"(?:[A-Z]{1,3}-)?\d{4,6}")


_SPACE_NUMBER = re.compile(rf"[ \t]+{_NUMBER}(?![\w])")
_SENTENCE_END = re.compile(r"[.!?][ \t]+(?=\S)")


def _cued(text: str, start: int, anchor: Anchor) -> bool:
    """Whether an address cue comes just before `start`, in its sentence: on its line, or on a
    short line above it that ends with a colon ("Address:\n...")."""
    line = text.rfind("\n", 0, start) + 1
    above = text.rfind("\n", 0, max(0, line - 1)) + 1
    if line and start - above <= 60 and text[above:line].rstrip().endswith(":"):
        line = above
    window = max(line, start - 50)
    ends = list(_SENTENCE_END.finditer(text, window, start))
    if ends:
        window = ends[-1].end()
    cue = _STRONG_CUE if anchor.name == "cued_name_number" else _CUE
    return cue.search(text, window, start) is not None


def _kind(m: re.Match[str], lower: bool, line_start: bool = False) -> tuple[str, int] | None:
    """What an address part is, and where it ends: a unit, a postcode, a state code or a bare
    number (they make the address go on), or a place (that does only when one of them follows).
    A place ends at its last name word ("90830 Marienberg by Friday")."""
    if m.group("unit") or m.group("mil"):
        return "unit", m.end()
    if m.group("post"):
        end = m.end()
        place = m.group("postplace")
        if place:
            end = _place_end(m, "postplace", lower)
            if end is None:
                place, end = None, m.end("post")
        if _BARE.fullmatch(m.group("post")) and not (place and (line_start or "," in m.group("sep"))):
            return "number", end
        return "postcode", end  # also "..., 8301 Jørgensen" and a line "90830 Marienberg"
    if m.group("place") is None:
        return None
    end = _place_end(m, "place", lower)
    if end is None:
        return None
    words = m.group("place").split()
    if _bare(words[0]) in _CONNECTORS and not _capitalised(words[0]):
        return None  # "de Madrid" is not a place of its own; "Des Moines" is
    if end < m.end("place"):
        return "place", end  # the place ended early: what followed it is not its state or postcode
    if m.group("state"):
        return "postcode", m.end()
    if m.group("post2"):
        return ("number" if _BARE.fullmatch(m.group("post2")) else "postcode"), m.end()
    if len(words) == 1 and "," in m.group("sep") and re.fullmatch(r"[A-Z]{2,3}", words[0]):
        return "postcode", m.end()  # ", CO" on a line of its own: a state code
    return "place", m.end()


def _place_end(m: re.Match[str], group: str, lower: bool) -> int | None:
    """The end of the place name words at the start of a group, or None when there are none."""
    end = None
    real = False
    for w in re.finditer(r"\S+", m.group(group)):
        word = w.group()
        if _bare(word) in _CONNECTORS and not (word[0].isupper() and not lower):
            continue
        if not _name_word_ok(word, lower) or _bare(word) in _NEVER_NAMES:
            break
        real = True
        end = m.start(group) + w.end()
    return end if real else None


def _corner(text: str, m: re.Match[str], lower: bool) -> tuple[int, int] | None:
    """A street corner: both streets, the second up to its last capitalised word or number; one
    of them has a number."""
    value = m.group("value")
    words = list(re.finditer(r"\S+", value))
    joint = next(i for i, w in enumerate(words) if w.group() in ("and", "&"))
    keep = joint
    for i in range(joint + 1, len(words)):
        w = words[i].group()
        if w[0].isdigit() or _name_word_ok(w, lower) or _STREET_WORD.fullmatch(w.rstrip(".")):
            keep = i
        else:
            break
    if keep == joint or not any(c.isdigit() for c in value[:words[keep].end()]):
        return None
    return m.start("value"), m.start("value") + words[keep].end()


def _merge(found: list[Found], text: str) -> list[Found]:
    """Spans that overlap, or that only whitespace and commas separate (across one line break at
    most), become one."""
    out: list[Found] = []
    for f in sorted(found, key=lambda f: (f.start, -f.end)):
        if out:
            gap = text[out[-1].end:f.start]
            if f.start <= out[-1].end or (len(gap) <= 4 and not gap.strip(" \t,;>\n") and gap.count("\n") <= 1):
                last = out[-1]
                names = last.anchors if f.anchors in last.anchors.split("+") else f"{last.anchors}+{f.anchors}"
                out[-1] = Found(last.start, max(last.end, f.end), max(last.score, f.score), names)
                continue
        out.append(f)
    return out

"""Finding PII in many texts at once: spaCy in batches, recognizers only where they can match,
each distinct text analysed once, and the work spread over processes for big inputs.

`Scanner.scan(texts)` returns, for each text, its spans (start, end, entity, score, recognizer),
sorted and without overlaps between spans of the same entity.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .engine import ScanConfig, build_recognizers, load_spacy, make_nlp_engine, needs_ner
from .entities import may_hold
from .names import PARTICLES, gazetteer, ordinary_words
from .windows import load_common_words, may_name, paragraphs, windows, with_ents

Report = Callable[[int, int], None]

# Below this many distinct texts a second process costs more to start than it saves.
PARALLEL_MIN_TEXTS = 3000
PARALLEL_MIN_ENV = "WORKBENCH_PII_PARALLEL_MIN"
BATCH = 256  # texts per scan batch
NER_BATCH = 64  # docs per spaCy batch

CACHE_LIMIT = 200_000  # distinct texts remembered per scanner


# The last word of a span when it follows the end of a sentence.
_NEXT_SENTENCE = re.compile(r"[.!?][ \t]+(?P<word>[^\W\d_]+)")
_TITLES = frozenset("mr mrs ms mx dr prof rev capt sgt lt col gen st fr sr jr hon".split())


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    entity: str
    score: float
    recognizer: str

    def value(self, text: str) -> str:
        return text[self.start:self.end]


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class Scanner:
    """One analyzer set-up; reusable, thread-safe, with a cache keyed by text."""

    def __init__(self, config: ScanConfig, extra_recognizers: Sequence[Any] = ()) -> None:
        from .engine import import_presidio

        import_presidio(config.spacy_model)
        load_common_words()
        self.config = config
        self.extra = list(extra_recognizers)
        self.nlp, self.model = load_spacy(config.spacy_model, config.language) if needs_ner(config) \
            else load_spacy("none", config.language)
        self.ner = self.model is not None
        self.engine = make_nlp_engine(self.nlp, config.language)
        # Presidio's context words skip stop words and punctuation, asked of the vocabulary word by
        # word for every text whose scores they may raise: the answers are the same every time.
        self.engine.is_stopword = functools.lru_cache(maxsize=1 << 16)(self.engine.is_stopword)
        self.engine.is_punct = functools.lru_cache(maxsize=1 << 16)(self.engine.is_punct)
        self.recognizers = build_recognizers(config, self.ner, self.extra, self.nlp)
        for rec in self.recognizers:
            if not rec.is_loaded:
                rec.load()
                rec.is_loaded = True
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

        registry = RecognizerRegistry(recognizers=self.recognizers, supported_languages=[config.language])
        self.analyzer = AnalyzerEngine(registry=registry, nlp_engine=self.engine,
                                       supported_languages=[config.language])
        self.allow = {a.strip().casefold() for a in config.allow_list if a.strip()}
        self.names = gazetteer(self.nlp) if self.ner else None
        self.cache: dict[str, tuple[Span, ...]] = {}
        self.ner_cache: dict[str, tuple[tuple[int, int, str], ...]] = {}
        self.docs: dict[str, Any] = {}  # texts the model read whole, until analysed
        self.lock = threading.Lock()

    # -- public -------------------------------------------------------------------------------
    def scan(self, texts: Sequence[str], report: Report | None = None, processes: int = 1) -> list[tuple[Span, ...]]:
        """Spans for every text, in order. Equal texts are analysed once."""
        todo = list(dict.fromkeys(t for t in texts if t and t not in self.cache))
        total = len(todo)
        if report:
            report(0, total)
        if todo:
            workers = _worker_count(processes, total)
            if workers > 1:
                from .workers import scan_in_workers

                found = scan_in_workers(self, todo, workers, report)
            else:
                found = self._scan_here(todo, report)
            with self.lock:
                if len(self.cache) + len(found) > CACHE_LIMIT:
                    self.cache.clear()
                self.cache.update(found)
        return [self.cache.get(t, ()) if t else () for t in texts]

    def analyze(self, text: str) -> tuple[Span, ...]:
        return self.scan([text])[0]

    # -- one process --------------------------------------------------------------------------
    def _scan_here(self, texts: list[str], report: Report | None) -> dict[str, tuple[Span, ...]]:
        out: dict[str, tuple[Span, ...]] = {}
        for start in range(0, len(texts), BATCH):
            chunk = texts[start:start + BATCH]
            if self.ner:
                self._recognize_segments(chunk)
            for text in chunk:
                out[text] = self._analyze_doc(text, self._doc(text))
            if report:
                report(min(start + BATCH, len(texts)), len(texts))
        return out

    # The language model runs on paragraphs, not whole texts: a paragraph seen before (a
    # greeting, a signature, a reply template) is not read again, and one whose capitalised
    # words are all common ones ("What are my options?") cannot hold a name it would find.
    # Within a paragraph it reads only the stretches around capitalised words (see _windows).
    # A text of one paragraph is tokenized once: the model's doc is also the recognizers' doc.
    def _recognize_segments(self, texts: list[str]) -> None:
        todo: dict[str, Any] = {}  # segment (as shown to the model) -> its Doc
        whole: set[str] = set()  # segments that are a whole text: their Doc is kept for the recognizers
        titled = set()
        for text in texts:
            lower = _all_lower(text)
            segments = paragraphs(text)
            one = len(segments) == 1 and segments[0] == (0, len(text))
            for a, b in segments:
                seg = text[a:b]
                shown = _title_case(seg) if lower else seg
                if shown in todo or not (lower or may_name(seg)):
                    continue
                if one and not lower:
                    todo[shown] = self.nlp.make_doc(text)
                    whole.add(shown)
                elif shown not in self.ner_cache:
                    todo[shown] = self.nlp.make_doc(shown)
                    if shown != seg:
                        titled.add(shown)
        parts = []  # (segment, character offset, doc the model reads)
        for seg, doc in todo.items():
            attrs = array = None  # the doc's token attributes, for its windows
            for a, b in windows(doc, self.names):
                if (a, b) != (0, len(doc)) and attrs is None:
                    attrs = doc._get_array_attrs()
                    array = doc.to_array(attrs)
                part = doc if (a, b) == (0, len(doc)) else _window_doc(doc, a, b, attrs, array)
                parts.append((seg, doc[a].idx, part))
        found: dict[str, list[tuple[int, int, str]]] = {seg: [] for seg in todo}
        for (seg, offset, _), read in zip(parts, self.nlp.pipe((p[2] for p in parts), batch_size=NER_BATCH)):
            found[seg] += [(offset + e.start_char, offset + e.end_char, e.label_) for e in read.ents]
        for seg, doc in todo.items():
            ents = tuple(found[seg])
            if seg in titled:
                # Read in title case every word looks like a name: keep only full names.
                ents = tuple(e for e in ents if e[2] in ("PERSON", "PER") and " " in seg[e[0]:e[1]].strip())
            self.ner_cache[seg] = ents
            if seg in whole:
                self.docs[seg] = with_ents(doc, ents)
        if len(self.ner_cache) > CACHE_LIMIT:
            self.ner_cache.clear()

    def _doc(self, text: str) -> Any:
        """The tokenized text with the entities of its segments (no model run here)."""
        done = self.docs.pop(text, None)
        if done is not None:
            return done
        doc = self.nlp.make_doc(text)
        if not self.ner:
            return doc
        lower = _all_lower(text)
        ents = []
        for a, b in paragraphs(text):
            seg = text[a:b]
            ents += [(a + s, a + e, label) for s, e, label in self.ner_cache.get(_title_case(seg) if lower else seg, ())]
        return with_ents(doc, ents)

    def _analyze_doc(self, text: str, doc: Any) -> tuple[Span, ...]:
        from presidio_analyzer import EntityRecognizer

        artifacts = self.engine._doc_to_nlp_artifact(doc, self.config.language)
        entities = list(self.config.entities)
        results = []
        used = []
        holds: dict[str, bool] = {}  # entity -> whether the text may hold it, tested once per text
        for rec in self.recognizers:
            if not any(holds[e] if e in holds else holds.setdefault(e, may_hold(e, text))
                       for e in rec.supported_entities if e in entities):
                continue
            used.append(rec)
            found = rec.analyze(text=text, entities=entities, nlp_artifacts=artifacts)
            for r in found or ():
                meta = r.recognition_metadata or {}
                meta.setdefault(r.RECOGNIZER_NAME_KEY, rec.name)
                meta.setdefault(r.RECOGNIZER_IDENTIFIER_KEY, rec.id)
                r.recognition_metadata = meta
                results.append(r)
        if not results:
            return ()
        # Context words only change the scores of recognizers that have some; Presidio's enhancer
        # deep-copies every result, so the others skip it.
        with_context = [rec for rec in used if rec.context]
        if with_context:
            ids = {rec.id for rec in with_context}
            key = results[0].RECOGNIZER_IDENTIFIER_KEY
            enhance = [r for r in results if r.recognition_metadata.get(key) in ids]
            if enhance:
                results = [r for r in results if r.recognition_metadata.get(key) not in ids] + \
                    self._enhanced(text, enhance, artifacts, with_context)
        # What is not personal data goes before overlapping spans are merged: a span the model
        # stretched too far ("Bea Solberg\nCustomer Care") must not swallow a good one inside it.
        lower = _all_lower(text)
        kept = []
        judged: dict[tuple[str, bool], bool] = {}  # (value, by the model) -> no person; several recognizers find it
        for r in results:
            if r.entity_type not in entities or r.score < self.config.score_threshold:
                continue
            if r.entity_type == "PERSON" and text.startswith(("The ", "the "), r.start) and r.end - r.start > 4:
                r.start += 4  # the model's "The Halldór Ó Árnþórsson version": the name is the rest
            if r.entity_type == "PERSON" and not lower \
                    and (r.recognition_metadata or {}).get(r.RECOGNIZER_NAME_KEY) == "SpacyRecognizer":
                r.start = _without_lower_start(text, r.start, r.end)
            if r.entity_type == "PERSON":
                r.end = self._without_next_sentence(text, r.start, r.end)
            value = text[r.start:r.end]
            if self.allow and value.strip().casefold() in self.allow:
                continue
            if r.entity_type == "PERSON":
                key = (value, (r.recognition_metadata or {}).get(r.RECOGNIZER_NAME_KEY) == "SpacyRecognizer")
                if key not in judged:
                    judged[key] = self._not_a_person(value, key[1], lower)
                if judged[key]:
                    continue
            kept.append(r)
        if self.names is not None and not lower:
            _extend_people(text, kept, self.names)
        spans = []
        for r in EntityRecognizer.remove_duplicates(kept):
            name = (r.recognition_metadata or {}).get(r.RECOGNIZER_NAME_KEY, "")
            spans.append(Span(r.start, r.end, r.entity_type, round(float(r.score), 4), name))
        spans.sort(key=lambda s: (s.start, -s.end, s.entity))
        return tuple(spans)

    def _enhanced(self, text: str, results: list[Any], artifacts: Any, recognizers: list[Any]) -> list[Any]:
        """The results after Presidio's context enhancement, in its order (by recognizer).

        A context word counts when it is part of a word of the text, in lower case: a recognizer
        none of whose context words is in the text keeps its scores, without the enhancer's deep
        copy and keyword lists. (All go to the enhancer when one enhances its results itself.)
        """
        from presidio_analyzer import EntityRecognizer

        if any(type(rec).enhance_using_context is not EntityRecognizer.enhance_using_context for rec in recognizers):
            return self.analyzer._enhance_using_context(text, results, artifacts, recognizers, None)
        key = results[0].RECOGNIZER_IDENTIFIER_KEY
        lower = text.lower()
        out = []
        for rec in recognizers:
            mine = [r for r in results if r.recognition_metadata.get(key) == rec.id]
            if mine and any(w.lower() in lower for w in rec.context):
                mine = self.analyzer._enhance_using_context(text, mine, artifacts, [rec], None)
            out += mine
        return out

    def _without_next_sentence(self, text: str, start: int, end: int) -> int:
        """The end of a name span without the first word of the next sentence that the model
        ran into ("Moto G. My" of "I'm on Moto G. My number is ..."): an ordinary word after a
        full stop is cut off with the stop."""
        if self.names is None:
            return end
        m = _NEXT_SENTENCE.search(text, start, end)
        if m is None or m.end() != end or not self.names.is_common(m.group("word")):
            return end
        before = _WORDS.findall(text[start:m.start()])
        if before and before[-1].casefold() in _TITLES:  # "Mr. Hope", "Dr. Will Brown": a title's stop
            return end
        return m.start()

    def _not_a_person(self, value: str, by_model: bool, lower_text: bool) -> bool:
        if _not_a_name(value):
            return True
        if self.names is None:
            return False
        if ordinary_words(value, self.names) or _titles_only(value, self.names):
            return True
        # In a text with capitals, a lower-case "person" of the model is a typo or a phrase
        # ("refnud", "mini-split heat pump", "ex-Zombie"), unless it holds a known name ("ask
        # john") or starts with a particle ("van Pas").
        first = value.split()[0] if value.split() else value
        return (by_model and not lower_text and first[:1].islower()
                and first.casefold() not in PARTICLES
                and not any(self.names.is_first(w) or self.names.is_last(w) for w in _WORDS.findall(value)))


def _window_doc(doc: Any, start: int, end: int, attrs: Any, array: Any) -> Any:
    """doc[start:end] as a Doc of its own, as Span.as_doc makes it of a doc the model has not
    read yet: its words, spaces and token attributes (`array`, the doc's `attrs`), without the
    document vector and tensor that as_doc also works out and the model does not read."""
    from spacy.tokens import Doc

    span = doc[start:end]
    part = Doc(doc.vocab, words=[t.text for t in span], spaces=[bool(t.whitespace_) for t in span])
    part.from_array(attrs, array[start:end])
    return part


def _worker_count(processes: int, texts: int) -> int:
    if processes == 1 or texts < _parallel_min_texts():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    wanted = cores if processes <= 0 else processes
    return max(1, min(wanted, cores, texts // max(1, _parallel_min_texts() // 2)))


def _parallel_min_texts() -> int:
    """PARALLEL_MIN_TEXTS, or WORKBENCH_PII_PARALLEL_MIN (tests fork workers on small inputs)."""
    value = os.environ.get(PARALLEL_MIN_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else PARALLEL_MIN_TEXTS


_LOWER_START = re.compile(r"[^\W\d_A-Z][\w'’-]*[ \t]+(?=[A-ZÀ-ÖØ-ÞĀ-Ž])")


def _without_lower_start(text: str, start: int, end: int) -> int:
    """The start of a name span without the lower-case words the model put before the name
    ("ex-Zombie Ahtisaari"); particles ("van Pas") stay."""
    while (m := _LOWER_START.match(text, start, end)) is not None \
            and m.group().split()[0].casefold() not in PARTICLES and m.end() < end:
        start = m.end()
    return start


def _extend_people(text: str, results: list[Any], names: Any) -> None:
    """Widen each person span over the name-like words next to it (name_shapes.extend_names)."""
    from .name_shapes import extend_names

    people = [r for r in results if r.entity_type == "PERSON"]
    for r, (start, end) in zip(people, extend_names(text, [(r.start, r.end) for r in people], names)):
        r.start, r.end = start, end


def _titles_only(value: str, names: Any) -> bool:
    """A title with no name ("La Sra", "Herr"), unless a word of it is a first name ("Don")."""
    from .name_shapes import title_or_particle

    words = _WORDS.findall(value)
    return bool(words) and all(title_or_particle(w) and not names.is_first(w) for w in words)


def _not_a_name(value: str) -> bool:
    from .recognizers import not_a_name

    return not_a_name(value)


def _title_case(text: str) -> str:
    """A lower-case text in title case, when that keeps every offset (else unchanged)."""
    titled = text.title()
    return titled if len(titled) == len(text) else text


def _all_lower(text: str) -> bool:
    return not any(c.isupper() for c in text) and any(c.isalpha() for c in text)


_WORDS = re.compile(r"[^\W\d_]+")
_scanners: dict[str, Scanner] = {}
_scanners_lock = threading.Lock()


def get_scanner(config: ScanConfig, extra_recognizers: Sequence[Any] = ()) -> Scanner:
    """A shared scanner per set-up, so the leak check reuses the step's model and cache."""
    key = config.key()  # plugin recognizers are in the config by name
    with _scanners_lock:
        scanner = _scanners.get(key)
        if scanner is None:
            scanner = _scanners[key] = Scanner(config, extra_recognizers)
        return scanner

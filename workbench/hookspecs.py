"""Plugin hooks. Each hook receives a `register` callable; built-ins use the same hooks."""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("workbench")
hookimpl = HookimplMarker("workbench")


@hookspec
def register_importers(register):
    """register(Importer): read an input shape into canonical records (see workbench.io.base)."""


@hookspec
def register_steps(register):
    """register(StepClass): a curation step usable by name in a recipe (see workbench.steps.base)."""


@hookspec
def register_pii_recognizers(register):
    """register(recognizer): a Presidio EntityRecognizer added to the PII step's analyzer."""


@hookspec
def register_categorizers(register):
    """register(name, factory): a categorizer the `categorize` step can use."""


@hookspec
def register_eval_metrics(register):
    """register(name, metric): an automated metric, metric(prompt, reply, reference) -> float."""


@hookspec
def register_exporters(register):
    """register(Exporter): an output format for train.jsonl / holdout.jsonl (see workbench.io.writers)."""

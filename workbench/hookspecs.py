"""Plugin hooks. Each hook receives a `register` callable; built-ins use the same hooks.

What a plugin registers is kept only when all of its hooks ran without raising; otherwise none of
it is (the plugin is reported as not loaded, with the error). Names are unique per kind: a step,
importer, exporter, categorizer, metric or PII recognizer named like a built-in one or like one of
a plugin loaded earlier (built-ins, then installed plugins by entry-point name, then the project's
`plugins` in order) refuses the whole plugin; the first one stays. `workbench plugins` lists the
refused plugins and why.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("workbench")
hookimpl = HookimplMarker("workbench")


@hookspec
def register_importers(register):
    """register(Importer): read an input shape into canonical records (see workbench.io.base)."""


@hookspec
def register_steps(register):
    """register(StepClass): a curation step usable by name in a recipe (see workbench.steps.base).

    The runner checks what `run` returns: a StepResult whose `kept` is a polars DataFrame with the
    canonical columns, only ids it was given (each once), and a drop Decision for every row left
    out. A step that raises or returns anything else stops the run with a message naming the step
    and this plugin, and no snapshot or export is written. Raise a WorkbenchError (e.g.
    ConfigError) to tell the user something they can fix in their own words.
    """


@hookspec
def register_pii_recognizers(register):
    """register(recognizer_or_factory): a recognizer the `pii` step adds to its analyzer.

    Either a Presidio EntityRecognizer (e.g. a PatternRecognizer), or a factory - a class or a
    function with no arguments that returns one - called only when a scan is set up, so a
    plugin need not import Presidio when it is loaded (plugins/workbench-employee-id does this).
    Give a factory `supported_entities` (e.g. ["EMPLOYEE_ID"]) and `name` attributes: the step
    then scans for those entities by default and keys its cache by the name, without building
    it. A factory that raises is reported as a configuration error of the pii step. The name
    (`name`, else `__name__`) must differ from every other plugin's recognizer.
    """


@hookspec
def register_categorizers(register):
    """register(name, factory): a categorizer the `categorize` step can use."""


# The metrics workbench computes itself (workbench.evaluate.metrics); no plugin may register these names.
BUILTIN_METRICS = ("rouge_l", "exact_match", "length")


@hookspec
def register_eval_metrics(register):
    """register(name, metric): an automated metric, metric(prompt, reply, reference) -> float | None.

    `prompt` is the text of the last user turn, `reference` the reference reply or None; None
    means the metric does not apply to this reply and leaves it out of the mean.
    """


@hookspec
def register_exporters(register):
    """register(Exporter): an output format for train.jsonl / holdout.jsonl (see workbench.io.writers)."""

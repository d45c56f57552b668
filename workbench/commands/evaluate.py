"""`workbench generate`, `compare`, `eval import-judgements`, `eval report`, `report` and
`export-preferences`. Importing this module is cheap: torch, transformers, rouge_score, numpy and
polars load inside the commands that need them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..errors import Cancelled, ConfigError

project_argument = click.argument("project", required=False, type=click.Path(path_type=Path))


def _console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _open(project: Path | None):
    from ..services.project import Project

    return Project.open(project or Path("."))


class _GenerateProgress:
    """One bar per model: prompts answered, and the decoding step of the batch in flight."""

    def __init__(self, console, quiet: bool) -> None:
        self.console, self.quiet = console, quiet
        self.bar = None
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "_GenerateProgress":
        if not self.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("prompts {task.fields[step]}"), TimeElapsedColumn(), console=self.console)
            self.bar.__enter__()
        return self

    def prompts(self, model: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if model not in self.tasks:
            self.tasks[model] = self.bar.add_task(model, total=total or 1, step="")
        self.bar.update(self.tasks[model], completed=done, total=total or 1, step="")

    def token(self, model: str, n: int, most: int) -> None:
        if self.bar is not None and model in self.tasks:
            self.bar.update(self.tasks[model], step=f"· batch at token {n}/{most}")

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:.2f} prompts/s" if seconds > 0 and n else "-"


@click.command()
@project_argument
@click.option("--run", "runs", multiple=True, metavar="RUN_ID", help="A training run whose adapter answers (repeatable).")
@click.option("--base", is_flag=True, help="Also answer with the base model (the runs' base, or [train] base_model).")
@click.option("--general/--no-general", default=True, show_default=True,
              help="Add the general prompts (MT-bench's 80 first turns) that catch forgetting.")
@click.option("--general-file", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              help="General prompts from this JSONL instead (MT-bench question.jsonl, or {\"prompt\": ...} rows).")
@click.option("--limit", type=int, default=None, metavar="N", help="Answer at most N prompts (categories take turns).")
@click.option("--per-category", type=int, default=None, metavar="N", help="At most N prompts per category.")
@click.option("--batch-size", type=int, default=16, show_default=True, help="Prompts answered together.")
@click.option("--max-new-tokens", type=int, default=256, show_default=True, help="Longest reply, in tokens.")
@click.option("--sample", is_flag=True, help="Sample (seeded) instead of greedy decoding.")
@click.option("--temperature", type=float, default=0.7, show_default=True, help="With --sample.")
@click.option("--top-p", type=float, default=0.9, show_default=True, help="With --sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="With --sample.")
@click.option("--threads", type=int, default=0, metavar="N", help="CPU threads for torch (0: half the cores, at most 8).")
@click.option("--device", type=click.Choice(["cpu", "cuda", "mps"]), default="cpu", show_default=True,
              help="Where the model runs.")
@click.option("--keep-trivial", is_flag=True,
              help="Keep prompts too short or too trivial to judge (greetings, thanks, closers such as "
                   "\"Thank u! Have a good one.\"), which are left out by default ([eval] keep_trivial).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def generate(project: Path | None, runs: tuple[str, ...], base: bool, general: bool, general_file: Path | None,
             limit: int | None, per_category: int | None, batch_size: int, max_new_tokens: int, sample: bool,
             temperature: float, top_p: float, seed: int, threads: int, device: str, keep_trivial: bool,
             quiet: bool) -> None:
    """Answer the holdout prompts (and general prompts) with the base model and each run's adapter.

    Replies are stored in the project with the model, the settings and the time. Running the same
    command again skips what is stored; Ctrl-C keeps every finished batch.

    Prompts too short or too trivial to judge are left out before --limit is applied, and counted:
    a last user turn made only of greetings, thanks and closers ("Thank u! Have a good one."), or
    of fewer than [eval] min_prompt_words words (default 2). A turn with a question mark is kept.
    --keep-trivial, or keep_trivial = true under [eval] in workbench.toml, keeps them. The Compare
    tab's new-comparison form (p) does the same as this command and `workbench compare` together.
    """
    from ..evaluate.generate import GenerationSettings
    from ..evaluate.generate import generate as run_generate

    if threads < 0:
        raise click.BadParameter("must be 0 (auto) or more", param_hint="--threads")
    settings = GenerationSettings(max_new_tokens=max_new_tokens, do_sample=sample, temperature=temperature,
                                  top_p=top_p, seed=seed, batch_size=batch_size)
    console = _console()
    p = _open(project)
    from rich.markup import escape

    try:
        with _GenerateProgress(console, quiet) as bar:
            try:
                summary = run_generate(p, runs, base, general=general, general_file=general_file, limit=limit,
                                       per_category=per_category, settings=settings, threads=threads or None,
                                       device=device, progress=bar.prompts, on_token=bar.token,
                                       echo=lambda m: console.print(escape(m)),
                                       keep_trivial=True if keep_trivial else None)
            except KeyboardInterrupt:
                raise Cancelled("generation interrupted; every finished batch is stored. Run the same command "
                                "again to go on where it stopped") from None
        console.print(f"{summary.prompts:,} prompts; settings {escape(settings.key())}")
        for model in summary.new:
            seconds = summary.seconds.get(model, 0.0)
            console.print(f"  {escape(model)}: {summary.new[model]:,} new replies"
                          + (f" in {seconds:.0f} s ({_rate(summary.new[model], seconds)})" if summary.new[model] else "")
                          + (f", {summary.stored[model]:,} already stored" if summary.stored[model] else ""))
        console.print(f"next: workbench compare {escape(str(p.path))}")
    finally:
        p.close()


@click.command()
@project_argument
@click.option("--a", "model_a", default=None, metavar="MODEL", help="One model (default: base).")
@click.option("--b", "model_b", default=None, metavar="MODEL", help="The other, e.g. run:<id> (default: the newest run).")
@click.option("--per-category", type=int, default=None, metavar="N", help="At most N pairs per category (sampled).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the left/right sides and the sampling.")
@click.option("--rater", default=None, help="Who votes (default: the name this project remembers for you, "
              "else the Compare tab asks, proposing $WORKBENCH_RATER).")
@click.option("--no-tui", is_flag=True, help="Make the pairs and stop; do not open the Compare tab.")
def compare(project: Path | None, model_a: str | None, model_b: str | None, per_category: int | None, seed: int,
            rater: str | None, no_tui: bool) -> None:
    """Make blind A/B pairs of two models' replies and open the Compare tab to vote on them."""
    from ..services.arena import default_models, make_set

    console = _console()
    p = _open(project)
    try:
        a, b = default_models(p.store, model_a, model_b)
        _, new, total = make_set(p.store, a, b, per_category=per_category, seed=seed)
        console.print(f"{total:,} pairs in this comparison ({new:,} new); the models stay hidden until you reveal them")
        path = p.path
    finally:
        p.close()
    if rater:
        os.environ["WORKBENCH_RATER"] = rater
    if no_tui:
        return
    from ..tui.app import run_app

    run_app(path, tab="compare", rater=rater)  # --rater names who votes, as `workbench PROJECT --rater` does


@click.group("eval")
def eval_group() -> None:
    """Judgements from elsewhere and the statistics of the votes."""


@eval_group.command("import-judgements")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def import_judgements(project: Path, file: Path) -> None:
    """Store pairwise judgements made elsewhere (JSONL: prompt, model_a, model_b, response_a, response_b,
    winner a|b|tie|both_bad, optional category and rater) as votes. All rows or none."""
    from ..evaluate.judgements import import_judgements as run_import

    p = _open(project)
    try:
        s = run_import(p.store, file)
    finally:
        p.close()
    console = _console()
    console.print(f"{s.rows:,} judgements read from {file}: {s.votes_added:,} votes stored"
                  + (f", {s.already_stored:,} already stored" if s.already_stored else "")
                  + f"; {s.pairs_added:,} new pairs; models {', '.join(s.models)}; raters {', '.join(s.raters)}")


def _metrics(p) -> dict:
    from ..evaluate.metrics import compute

    return compute(p.store, p.registry())


@eval_group.command("report")
@project_argument
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON (with a \"metrics\" key).")
@click.option("--comparison", default=None, metavar="NAME", help="Only this comparison set (default: every vote).")
@click.option("--bootstrap", type=int, default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
def eval_report(project: Path | None, as_json: bool, comparison: str | None, bootstrap: int, seed: int) -> None:
    """Win rates with intervals per model pair and category, position bias, agreement, metrics."""
    from ..evaluate import stats
    from ..evaluate import text
    from ..evaluate.arena import load_votes
    from ..evaluate.metrics import format_table

    from ..evaluate.report_words import min_votes_setting, plain_verdict, text_lines

    p = _open(project)
    try:
        votes = load_votes(p.store, comparison)
        result = stats.analyze(votes, bootstrap=bootstrap, seed=seed)
        words = plain_verdict(result, min_votes_setting(p.config))
        metrics = _metrics(p)
    finally:
        p.close()
    if as_json:
        result["metrics"] = metrics
        result["words"] = words
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    if votes:
        click.echo("\n".join(text_lines(words)) + "\n")
    click.echo(text.format_text(result) if votes else "no votes yet: vote with `workbench compare PROJECT` or "
               "import judgements with `workbench eval import-judgements PROJECT FILE`")
    click.echo("")
    click.echo(format_table(metrics))


@click.command()
@project_argument
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, metavar="DIR",
              help="Folder for report.md and report.html.")
@click.option("--force", is_flag=True, help="Replace report.md and report.html if DIR has them.")
def report(project: Path | None, out: Path, force: bool) -> None:
    """Write a Markdown and a self-contained HTML report: data, training, metrics, win rates, verdict."""
    from ..evaluate.report import collect, write_report
    from ..evaluate.report_words import text_lines

    _refuse_to_overwrite([out / "report.md", out / "report.html"], force)
    p = _open(project)
    try:
        data = collect(p)
        paths = write_report(p, out, data=data)
    finally:
        p.close()
    click.echo("\n".join(text_lines(data["words"])) + "\n")  # the plain words; the statistics are in the files
    for path in paths:
        _console().print(f"wrote {path}")


@click.command("export-preferences")
@project_argument
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, metavar="FILE",
              help="The JSONL to write (prompt, chosen, rejected); an existing file only with --force.")
@click.option("--comparison", default=None, metavar="NAME", help="Only this comparison set (default: every vote).")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def export_preferences(project: Path | None, out: Path, comparison: str | None, force: bool) -> None:
    """Write the decisive votes as preference pairs for TRL's DPO trainer (conversational format): the rows
    `workbench export --format trl --kind preference` writes."""
    from ..evaluate.judgements import export_preferences as run_export

    _refuse_to_overwrite([out], force)
    p = _open(project)
    try:
        s = run_export(p.store, out, comparison)
    finally:
        p.close()
    console = _console()
    console.print(f"wrote {s.written:,} preference pairs to {out}")
    left_out = {"tie": "ties", "both_bad": "both bad", "skip": "skips"}
    if s.left_out:
        console.print("left out (no preferred reply): " + ", ".join(
            f"{n:,} {left_out.get(k, k)}" for k, n in sorted(s.left_out.items())))
    if s.split_pairs:
        console.print(f"[yellow]{s.split_pairs:,} pairs have raters preferring opposite replies; both directions "
                      "are written[/]")


def _refuse_to_overwrite(paths: list[Path], force: bool) -> None:
    """A file a user may have made is replaced only when they say so."""
    existing = [str(path) for path in paths if path.exists()]
    if existing and not force:
        raise ConfigError(f"{', '.join(existing)}: exists; pass --force to replace it")

"""Measure the Data screen on a big project: time to the first painted table, time per key.

    python -m workbench.tui._measure [--rows 1000000] [--project PATH] [--fastdatatable]

Headless (Textual's run_test at 120x40). The first frame is the moment the first frame with
record rows reaches the (headless) terminal; all_rows is when the whole snapshot is loaded
(a big one shows its opening rows first); a key's time runs from pressing it to the frame
that shows the row the cursor landed on (the detail pane updates in the same frame).
--fastdatatable times textual-fastdatatable on the same rows for comparison.
Not a test: the numbers depend on the machine. The lead moves this to benchmarks/.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from ..records import conform  # noqa: E402
from ..services.project import Project  # noqa: E402

CATEGORIES = ["billing", "shipping", "returns", "account", "technical", "other"]
TOPICS = ["reset my password", "change the billing address", "track my parcel",
          "return a damaged blender", "cancel the subscription", "update the app on my phone",
          "get a refund for an order", "merge two accounts"]


def synthetic_records(n: int, seed: int = 0) -> pl.DataFrame:
    """n support conversations in the canonical schema, generated vectorised (1M in ~1 s; writing the snapshot takes ~3 s more)."""
    rng = np.random.default_rng(seed)
    # Random 8-byte ids as 16 hex digits; no zero byte, so numpy keeps all 8 bytes of each.
    raw = rng.integers(0, 2**63, n, dtype=np.uint64) | np.uint64(0x0101010101010101)
    ids = pl.Series("id", raw.view("S8")).bin.encode("hex")
    i = pl.col("i")
    topic = (i % len(TOPICS)).replace_strict(dict(enumerate(TOPICS)), return_dtype=pl.String)
    base = pl.DataFrame({"i": np.arange(n, dtype=np.int64)})
    turns = base.select(
        pl.format("Hi, how do I {} (ticket {})? I tried twice already and it keeps failing.", topic, i).alias("user"),
        pl.format("Sure. To {} open Settings, then Account, and follow the steps; reference {}. "
                  "If it still fails, reply here and we will sort it out together.", topic, i).alias("assistant"),
    )
    # Interleave user/assistant turns and fold them in pairs: concat_list of structs is ~15x slower.
    order = np.column_stack([np.arange(n), np.arange(n) + n]).ravel()
    content = pl.concat([turns.to_series(0), turns.to_series(1)]).gather(order)
    flat = pl.DataFrame({"role": ["user", "assistant"] * n, "content": content}).to_struct("messages")
    messages = flat.reshape((n, 2)).arr.to_list()
    frame = base.select(
        ids,
        messages.alias("messages"),
        (i % len(CATEGORIES)).replace_strict(dict(enumerate(CATEGORIES)), return_dtype=pl.String).alias("category"),
        pl.when(i % 5 == 0).then(pl.lit("synthetic")).otherwise(pl.lit("human")).alias("origin"),
        pl.lit("support.jsonl").alias("source_file"),
        (i + 1).alias("source_line"),
        pl.lit("{}").alias("meta"),
    )
    return conform(frame)


def write_big_project(path: str | Path, rows: int) -> Project:
    """A project whose only snapshot is `rows` generated records (no input files)."""
    project = Project.create(path, name="big")
    records = synthetic_records(rows)
    project.write_snapshot(records, step="import", parent=None, params={}, counts={"rows": rows})
    return project


class FrameClock:
    """Records which table rows were drawn and when finished frames reached the terminal."""

    def __init__(self, table_cls: type, row_of) -> None:
        from textual.app import App

        self.painted: list[tuple[float, int]] = []  # (time, row index) of each record row drawn
        self.shown: list[float] = []  # times a finished frame went to the (headless) terminal
        self._patches = [(table_cls, "render_line"), (App, "_display")]
        self._originals = [getattr(cls, name) for cls, name in self._patches]
        render_line, display = self._originals
        clock = self

        def timed_render_line(table, y):
            strip = render_line(table, y)
            row = row_of(table, y)
            if row is not None:
                clock.painted.append((time.perf_counter(), row))
            return strip

        def timed_display(app, screen, renderable):
            display(app, screen, renderable)
            clock.shown.append(time.perf_counter())

        table_cls.render_line, App._display = timed_render_line, timed_display

    def restore(self) -> None:
        for (cls, name), original in zip(self._patches, self._originals):
            setattr(cls, name, original)

    def clear(self) -> None:
        self.painted.clear()
        self.shown.clear()

    async def frame_with(self, row: int | None = None) -> float:
        """When the first frame drawing `row` (any record row if None) reached the terminal."""
        while True:
            drawn = next((t for t, r in self.painted if row is None or r == row), None)
            if drawn is not None:
                done = next((t for t in self.shown if t >= drawn), None)
                if done is not None:
                    return done
            await asyncio.sleep(0.001)


async def time_keys(pilot, clock: FrameClock, keys: list[str], cursor) -> dict[str, float]:
    """Median ms from a key press to the frame that shows the row under the cursor."""
    result = {}
    for key in keys:
        times = []
        for _ in range(20):
            clock.clear()
            start = time.perf_counter()
            await pilot.press(key)
            times.append(await clock.frame_with(cursor()) - start)
            if key in ("end", "home"):  # go back, so that every press moves the view
                await pilot.press("home" if key == "end" else "end")
                await pilot.pause()
        result[f"{key}_ms"] = statistics.median(times) * 1000
    return result


async def measure_workbench(path: Path, keys: list[str]) -> dict[str, float]:
    from .app import make_app
    from .screens.data import DataTab
    from .widgets.record_table import RecordTable

    def row_of(table, y):
        return int(table.scroll_offset.y) + y - 1 if y >= 1 and len(table.view) else None

    clock = FrameClock(RecordTable, row_of)
    result: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        app = make_app(path)
        async with app.run_test(size=(120, 40)) as pilot:
            result["first_frame_s"] = await clock.frame_with() - t0
            data = app.screen.query_one(DataTab)
            while data.full_view is None:  # the rest of a big snapshot is still being read
                await asyncio.sleep(0.001)
            result["all_rows_s"] = time.perf_counter() - t0
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = app.screen.query_one(RecordTable)
            result["rows"] = len(table.view)
            result |= await time_keys(pilot, clock, keys, lambda: table.cursor)
    finally:
        clock.restore()
    return result


async def measure_fastdatatable(path: Path, keys: list[str]) -> dict[str, float]:
    """textual-fastdatatable over the same columns, computed for all rows up front."""
    from textual.app import App
    from textual_fastdatatable import ArrowBackend, DataTable

    from .records_view import _FIRST_USER_TURN

    class FastApp(App):
        CSS = "DataTable { height: 1fr; }"

        def compose(self):
            records = Project.open(path).latest().records()
            cells = records.with_row_index("#", offset=1).select(
                pl.col("#"), pl.col("id").str.slice(0, 8), "category", "origin",
                _FIRST_USER_TURN.alias("first user turn"), pl.col("messages").list.len().alias("turns"),
                pl.format("{}:{}", "source_file", "source_line").alias("source"),
            )
            yield DataTable(backend=ArrowBackend(cells.to_arrow()), cursor_type="row")

    def row_of(table, y):
        return int(table.scroll_offset.y) + y - 1 if y >= 1 and table.backend is not None else None

    clock = FrameClock(DataTable, row_of)
    result: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        app = FastApp()
        async with app.run_test(size=(120, 40)) as pilot:
            result["first_frame_s"] = await clock.frame_with() - t0
            await pilot.pause()
            table = app.screen.query_one(DataTable)
            result |= await time_keys(pilot, clock, keys, lambda: table.cursor_row)
    finally:
        clock.restore()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--project", type=Path, help="reuse (or create) the project here")
    parser.add_argument("--fastdatatable", action="store_true", help="time textual-fastdatatable instead")
    args = parser.parse_args()
    keys = ["down", "up", "pagedown", "pageup", "end", "home"]
    temp = None
    path = args.project
    if path is None:
        temp = tempfile.mkdtemp(prefix="wb-measure-")
        path = Path(temp) / "big"
    if not (path / "workbench.toml").exists():
        t = time.perf_counter()
        write_big_project(path, args.rows)
        print(f"wrote {args.rows:,} rows to {path} in {time.perf_counter() - t:.1f} s")
    try:
        measure = measure_fastdatatable if args.fastdatatable else measure_workbench
        before_app = time.perf_counter() - STARTED  # Python start-up and imports
        result = asyncio.run(measure(path, keys))
        result["process_start_to_first_frame_s"] = before_app + result["first_frame_s"]
    finally:
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
    name = "textual-fastdatatable" if args.fastdatatable else "workbench RecordTable"
    print(f"{name}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v:,}"
                                  for k, v in result.items()))


if __name__ == "__main__":
    main()

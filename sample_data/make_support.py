#!/usr/bin/env python3
"""Generate the Quillfield Home Energy support-chat sample and the manifest of what is planted in it.

    python sample_data/make_support.py            # writes support/support_chats.jsonl + planted.json
    python sample_data/make_support.py --check    # also verifies the planted properties

Deterministic (fixed seed, standard library only): the same script always writes the same bytes.
The conversations come from the scenarios in support_scenarios/ (rendered by support_render.py);
this module decides how many of what to plant (support_plant.py does the planting), writes the
file, and records every planted item with its line number so that tests can measure each
curation step against a known answer.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import support_content as C  # noqa: E402
from support_plant import add_flaw, exact_copy, near_copy, paraphrase  # noqa: E402
from support_render import (  # noqa: E402
    PATTERNS, Row, case_of, jaccard, normalize_text, render_human, render_synthetic, shingles,
)
from support_scenarios import SCENARIOS  # noqa: E402
from support_text import plain_text, spans  # noqa: E402

SEED = 20250611
BASE_ROWS = 2760  # unique conversations; planted copies bring the file to ~3,000 lines
OUT_DIR = HERE / "support"
DATA_FILE = OUT_DIR / "support_chats.jsonl"
MANIFEST_FILE = OUT_DIR / "planted.json"

# How much of each thing is planted (counts, not shares, so the manifest is exact).
EXACT_COPIES = {"identical": 30, "case": 20, "whitespace": 20, "unicode": 20}
EXACT_SECOND_COPIES = 8  # originals that get two copies (clusters of three)
NEAR_EDITS = 105
NEAR_PARAPHRASES = 45
UNLABELLED = 90
SYNTHETIC_SHARE = 0.20
PII_SHARE = {"human": 0.17, "synthetic": 0.05}
SYNTHETIC_FLAWS = {"ai_boilerplate": 18, "repeats_prompt": 12, "wrong_policy": 10,
                   "placeholder": 8, "truncated": 7, "off_topic": 5}
# Base rows of one scenario stay below this word-5-gram Jaccard with each other, so that only
# the planted copies are near duplicates.
MAX_BASE_JACCARD = 0.45


# -- the whole file ---------------------------------------------------------------------------

def pick_category(rng: random.Random, quotas: Counter) -> str:
    cats = [c for c, n in quotas.items() if n > 0]
    weights = [quotas[c] for c in cats]
    return rng.choices(cats, weights)[0]


def generate_base(rng: random.Random) -> list[Row]:
    shares = C.CATEGORY_SHARE
    total = sum(shares.values())
    quotas = Counter({c: round(BASE_ROWS * s / total) for c, s in shares.items()})
    quotas["billing"] += BASE_ROWS - sum(quotas.values())
    by_cat: dict[str, list[C.Scenario]] = {}
    for sc in SCENARIOS:
        by_cat.setdefault(sc.category, []).append(sc)
    seen: dict[str, list[frozenset]] = {}
    normalized: set = set()
    rows: list[Row] = []
    rejected: Counter = Counter()
    while sum(quotas.values()) > 0:
        cat = pick_category(rng, quotas)
        scs = by_cat[cat]
        sc = rng.choices(scs, [s.weight for s in scs])[0]
        origin = "synthetic" if rng.random() < SYNTHETIC_SHARE else "human"
        # The recipe is drawn once, before the attempts, so that rejecting look-alikes does not
        # favour the recipes that vary more (PII, several turns).
        if origin == "human":
            pattern = rng.choices(list(PATTERNS), list(PATTERNS.values()))[0]
            pii = rng.random() < PII_SHARE["human"]
            recipe = {"pattern": pattern, "pii": pii, "system": rng.random() < 0.3,
                      "style": rng.choices(("plain", "informal", "typos"), (0.55, 0.3, 0.15))[0],
                      "pii_where": "agent_only" if pii and rng.random() < 0.15 else "user"}
        else:
            recipe = {"pattern": "followup" if rng.random() < 0.2 else "single",
                      "pii": rng.random() < PII_SHARE["synthetic"], "system": rng.random() < 0.5}
        render = render_human if origin == "human" else render_synthetic
        for _attempt in range(40):
            row = render(rng, sc, recipe)
            sh = row.shingles()
            norm = row.normalized()
            if norm not in normalized and all(jaccard(sh, o) < MAX_BASE_JACCARD for o in seen.get(sc.key, [])):
                break
            rejected[sc.key] += 1
        else:
            continue  # this scenario is saturated for now; draw again
        seen.setdefault(sc.key, []).append(sh)
        normalized.add(norm)
        rows.append(row)
        quotas[cat] -= 1
    busiest = ", ".join(f"{k} {n}" for k, n in rejected.most_common(3))
    print(f"rendered {len(rows)} base rows; {sum(rejected.values())} candidates were rejected as too similar "
          f"to a row of the same scenario (most: {busiest})", file=sys.stderr)
    return rows


def build(seed: int = SEED) -> tuple[list[Row], dict]:
    rng = random.Random(seed)
    scenarios = {sc.key: sc for sc in SCENARIOS}
    base = generate_base(rng)
    rng.shuffle(base)

    # Synthetic flaws on distinct synthetic rows.
    synthetic = [i for i, r in enumerate(base) if r.origin == "synthetic" and not r.recipe["pii"]]
    flawed = rng.sample(synthetic, sum(SYNTHETIC_FLAWS.values()))
    it = iter(flawed)
    for flaw, n in SYNTHETIC_FLAWS.items():
        for k in range(n):
            add_flaw(rng, base[next(it)], flaw, k)

    # Unlabelled rows: the category is taken away (key missing or null); the truth goes to the manifest.
    for i in rng.sample(range(len(base)), UNLABELLED):
        base[i].category_key = rng.choice(("missing", "null"))

    # Copies. Each original is used once, except a few exact originals that get a second copy.
    order = list(range(len(base)))
    rng.shuffle(order)
    pool = iter(order)
    copies: list[Row] = []
    for variant, n in EXACT_COPIES.items():
        made = 0
        while made < n:
            i = next(pool)
            copy = exact_copy(rng, base[i], variant)
            copy.planted = {"kind": "exact", "of": i, "variant": variant}
            copies.append(copy)
            made += 1
    exact_originals = [c.planted["of"] for c in copies]
    for i in rng.sample(exact_originals, EXACT_SECOND_COPIES):
        variant = rng.choice(list(EXACT_COPIES))
        copy = exact_copy(rng, base[i], variant)
        copy.planted = {"kind": "exact", "of": i, "variant": variant}
        copies.append(copy)
    made = 0
    while made < NEAR_EDITS:
        i = next(pool)
        if len(re.findall(r"\w+", " ".join(base[i].contents()))) < 70 or base[i].flaws:
            continue
        result = near_copy(rng, base[i])
        if result is None:
            continue
        copy, score, edits = result
        copy.planted = {"kind": "near", "of": i, "method": "edit", "jaccard_word5": round(score, 3), "edits": edits}
        copies.append(copy)
        made += 1
    made = 0
    base_shingles = [r.shingles() for r in base]
    paraphrased: dict[str, list[frozenset]] = {}
    while made < NEAR_PARAPHRASES:
        i = next(pool)
        if base[i].flaws:
            continue
        others = [base_shingles[j] for j, r in enumerate(base) if r.scenario == base[i].scenario and j != i]
        others += paraphrased.get(base[i].scenario, [])
        result = paraphrase(rng, base[i], scenarios, others, MAX_BASE_JACCARD)
        if result is None:
            continue
        copy, score = result
        paraphrased.setdefault(copy.scenario, []).append(copy.shingles())
        copy.planted = {"kind": "near", "of": i, "method": "paraphrase", "jaccard_word5": round(score, 3)}
        copies.append(copy)
        made += 1

    # Copies land somewhere after their original, as they would in a merged export.
    keyed = [(float(i), 0, row) for i, row in enumerate(base)]
    for n, copy in enumerate(copies):
        at = copy.planted["of"] + rng.uniform(0.5, len(base) - copy.planted["of"])
        keyed.append((at, n + 1, copy))
    keyed.sort(key=lambda k: (k[0], k[1]))
    rows = [row for _, _, row in keyed]

    # Ticket ids: unique, random; an identical copy keeps its original's ticket half the time.
    tickets = rng.sample(range(100000, 1000000), len(rows))
    for row, number in zip(rows, tickets):
        row.ticket_id = f"T-{number}"
    line_of_base = {id(row): n for n, row in enumerate(rows, 1)}
    for row in rows:
        if row.planted and row.planted["kind"] == "exact" and row.planted["variant"] == "identical":
            if rng.random() < 0.5:
                row.ticket_id = base[row.planted["of"]].ticket_id
    return rows, manifest(rows, base, line_of_base, seed)


def manifest(rows: list[Row], base: list[Row], line_of: dict, seed: int) -> dict:
    exact, near, pii, synth, unlabelled = [], [], [], [], []
    entity_counts: Counter = Counter()
    for line, row in enumerate(rows, 1):
        if row.planted:
            of = line_of[id(base[row.planted["of"]])]
            entry = {"line": line, "duplicate_of": of}
            entry.update({k: v for k, v in row.planted.items() if k not in ("kind", "of")})
            (exact if row.planted["kind"] == "exact" else near).append(entry)
        found = []
        for turn, (role, segs) in enumerate(row.turns):
            for start, end, entity_type, value in spans(segs):
                found.append({"turn": turn, "role": role, "start": start, "end": end,
                              "entity_type": entity_type, "value": value})
                entity_counts[entity_type] += 1
        if found:
            pii.append({"line": line, "spans": found})
        if row.origin == "synthetic":
            synth.append({"line": line, "flaws": row.flaws})
        if row.category_key != "present":
            unlabelled.append({"line": line, "true_category": row.category, "category": row.category_key})
    cats = Counter(r.category if r.category_key == "present" else None for r in rows)
    counts = {
        "rows": len(rows),
        "categories": {c or "(none)": n for c, n in sorted(cats.items(), key=lambda kv: (-kv[1], str(kv[0])))},
        "origin": dict(Counter(r.origin for r in rows)),
        "exact_duplicates": dict(Counter(e["variant"] for e in exact), total=len(exact)),
        "near_duplicates": dict(Counter(e["method"] for e in near), total=len(near)),
        "pii_rows": len(pii),
        "pii_rows_with_agent_pii": sum(1 for p in pii if any(s["role"] == "assistant" for s in p["spans"])),
        "pii_entities": dict(sorted(entity_counts.items())),
        "synthetic_flaws": dict(Counter(f["type"] for s in synth for f in s["flaws"])),
        "unlabelled": len(unlabelled),
    }
    return {
        "file": DATA_FILE.name,
        "generator": f"{Path(__file__).name} (seed {seed})",
        "lines": "1-based line numbers in the file",
        "jaccard_word5": "Jaccard similarity of the sets of word 5-grams; words are the \\w+ runs of the "
                         "NFKC-normalized, case-folded contents of all turns joined by newlines",
        "spans": "turn indexes messages[] (system included); start/end are character offsets into "
                 "that turn's content (Python str indexes, end exclusive)",
        "counts": counts,
        "exact_duplicates": exact,
        "near_duplicates": near,
        "pii": pii,
        "synthetic": synth,
        "unlabelled": unlabelled,
    }


def to_json(row: Row) -> str:
    obj: dict = {"messages": [{"role": role, "content": plain_text(segs)} for role, segs in row.turns]}
    if row.category_key == "present":
        obj["category"] = row.category
    elif row.category_key == "null":
        obj["category"] = None
    obj["origin"] = row.origin
    obj["ticket_id"] = row.ticket_id
    return json.dumps(obj, ensure_ascii=False)


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


def check_scenarios() -> None:
    """Every case a customer message can open has an answer that fits it."""
    for sc in SCENARIOS:
        for field_name in ("user", "details"):
            for template in getattr(sc, field_name):
                case, _ = case_of(template)
                fits = [a for a in sc.answer if case_of(a)[0] in (None, case)]
                assert fits, f"{sc.key}: no answer for case {case!r}"
        for ask in sc.synth["asks"]:
            assert not ask.startswith("@"), sc.key


def check(rows: list[Row], man: dict) -> None:
    """Verify the planted properties hold on the rows as written."""
    check_scenarios()
    lines = DATA_FILE.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(rows)
    parsed = [json.loads(line) for line in lines]

    def norm(obj):
        return tuple((m["role"], normalize_text(m["content"])) for m in obj["messages"])

    for e in man["exact_duplicates"]:
        assert norm(parsed[e["line"] - 1]) == norm(parsed[e["duplicate_of"] - 1]), e
    for e in man["near_duplicates"]:
        a, b = parsed[e["line"] - 1], parsed[e["duplicate_of"] - 1]
        assert norm(a) != norm(b), e
        score = jaccard(shingles([m["content"] for m in a["messages"]]), shingles([m["content"] for m in b["messages"]]))
        assert abs(score - e["jaccard_word5"]) < 1e-3, (e, score)
    for p in man["pii"]:
        msgs = parsed[p["line"] - 1]["messages"]
        for s in p["spans"]:
            assert msgs[s["turn"]]["content"][s["start"]:s["end"]] == s["value"], (p["line"], s)
    # Apart from planted copies (and copies of one original among themselves), no two rows of a
    # scenario are near duplicates.
    origin_line = {e["line"]: e["duplicate_of"] for e in man["exact_duplicates"] + man["near_duplicates"]}
    by_scenario: dict[str, list[int]] = {}
    for line, row in enumerate(rows, 1):
        by_scenario.setdefault(row.scenario, []).append(line)
    sh = {line: row.shingles() for line, row in enumerate(rows, 1)}
    for lines_ in by_scenario.values():
        for x, a in enumerate(lines_):
            for b in lines_[x + 1:]:
                if origin_line.get(a, a) == origin_line.get(b, b):
                    continue
                score = jaccard(sh[a], sh[b])
                assert score < 0.5, f"lines {a} and {b} are near duplicates ({score:.2f}) but not planted"
    # Apart from planted copies, no two rows are equal after normalization.
    planted = {e["line"] for e in man["exact_duplicates"]}
    groups = Counter(norm(o) for n, o in enumerate(parsed, 1) if n not in planted)
    assert max(groups.values()) == 1
    for obj in parsed:
        assert obj["messages"][-1]["role"] == "assistant"
        assert all(m["content"].strip() for m in obj["messages"])
    print("check: planted properties hold", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the planted properties after writing")
    args = parser.parse_args(argv)
    rows, man = build()
    OUT_DIR.mkdir(exist_ok=True)
    write_atomic(DATA_FILE, "".join(to_json(r) + "\n" for r in rows))
    write_atomic(MANIFEST_FILE, json.dumps(man, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(man["counts"], indent=1), file=sys.stderr)
    print(f"wrote {DATA_FILE.relative_to(HERE.parent)} ({DATA_FILE.stat().st_size / 1e6:.1f} MB) "
          f"and {MANIFEST_FILE.relative_to(HERE.parent)}", file=sys.stderr)
    if args.check:
        check(rows, man)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

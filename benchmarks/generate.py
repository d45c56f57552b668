"""Generation throughput: one prompt at a time vs workbench's length-sorted, left-padded batches.

    .venv/bin/python benchmarks/generate.py [--prompts 20] [--batch-size 20] [--max-new-tokens 128]
                                            [--threads 1,2] [--model smollm2|tiny] [--repeats 1]

The baseline is the loop an evaluation script starts from: for each prompt, apply the chat
template, `model.generate(...)` greedy, decode. Ours is workbench.evaluate.generate on the same
model and prompts: prompts sorted by token length, batches of --batch-size left-padded together.
"batched, unsorted" is the same batching in the prompts' original order, to show what the sort
adds. Every variant answers the same prompts greedily with the same --max-new-tokens; within a
repeat the variants run one after the other, for each thread count in --threads. The prompts
are user turns of the sample support chats (what a holdout looks like). prompts/s is prompts
answered per second of generation (the model is loaded once, before the clock starts).

Other jobs share this machine: the load average is printed before and after; compare ratios
taken in one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "support" / "support_chats.jsonl"


def load_prompts(n: int, seed: int = 0) -> list[dict]:
    """n prompts: each sample chat up to its last user turn."""
    from workbench.evaluate.prompts import split_reply

    rows = []
    with open(SAMPLE, encoding="utf-8") as f:
        for line in f:
            parts = split_reply(json.loads(line)["messages"])
            if parts:
                rows.append({"messages": parts[0]})
    random.Random(seed).shuffle(rows)
    return rows[:n]


def load(kind: str):
    from workbench.evaluate.generate import Target, load_model

    if kind == "smollm2":
        from workbench.train.model import resolve_base_model

        base = resolve_base_model("", echo=print)
        return load_model(Target("base", "base", base.path, base.label))
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_eval_generate import make_lively_model

    return load_model(Target("base", "base", str(make_lively_model(Path(tempfile.mkdtemp()))), "tiny"))


def one_by_one(model, tokenizer, prompts, max_new_tokens: int) -> list[str]:
    """The baseline: each prompt on its own, no padding at all."""
    import torch

    replies = []
    for p in prompts:
        enc = tokenizer.apply_chat_template(p["messages"], add_generation_prompt=True, return_tensors="pt",
                                            return_dict=True)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        replies.append(tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True).strip())
    return replies


def batched(model, tokenizer, prompts, max_new_tokens: int, batch_size: int, sort: bool) -> list[str]:
    """Ours: workbench.evaluate.generate's encoding and batches (sorted by length unless told)."""
    from workbench.evaluate.generate import GenerationSettings, encode_prompts, generate_batch

    settings = GenerationSettings(max_new_tokens=max_new_tokens, batch_size=batch_size)
    encoded = list(enumerate(encode_prompts(tokenizer, prompts)))
    if sort:
        encoded.sort(key=lambda item: len(item[1]))
    replies: dict[int, str] = {}
    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start:start + batch_size]
        for (i, _), (text, _) in zip(chunk, generate_batch(model, tokenizer, [e for _, e in chunk], settings)):
            replies[i] = text
    return [replies[i] for i in range(len(prompts))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompts", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--threads", default="1,2", help="comma-separated torch thread counts to measure")
    ap.add_argument("--model", choices=["smollm2", "tiny"], default="smollm2")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--skip-baseline", action="store_true", help="only the batched variants (for thread checks)")
    args = ap.parse_args()

    import torch

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    prompts = load_prompts(args.prompts)
    model, tokenizer = load(args.model)
    print(f"{args.model}: {len(prompts)} prompts, greedy, max_new_tokens {args.max_new_tokens}, "
          f"batch size {args.batch_size}")
    results: dict[tuple[int, str], list[float]] = {}
    texts: dict[str, list[str]] = {}
    for _ in range(args.repeats):
        for threads in [int(t) for t in args.threads.split(",")]:
            torch.set_num_threads(threads)
            variants = [("batched, sorted (ours)", lambda: batched(model, tokenizer, prompts, args.max_new_tokens,
                                                                   args.batch_size, True)),
                        ("batched, unsorted", lambda: batched(model, tokenizer, prompts, args.max_new_tokens,
                                                              args.batch_size, False))]
            if not args.skip_baseline:
                variants.insert(0, ("one by one (baseline)",
                                    lambda: one_by_one(model, tokenizer, prompts, args.max_new_tokens)))
            for name, fn in variants:
                start = time.perf_counter()
                texts[name] = fn()
                seconds = time.perf_counter() - start
                results.setdefault((threads, name), []).append(len(prompts) / seconds)
                print(f"  threads {threads}  {name:<24} {len(prompts) / seconds:6.2f} prompts/s ({seconds:.1f} s)",
                      flush=True)
    print("\nsummary (prompts/s; range over repeats)")
    for (threads, name), rates in results.items():
        base = results.get((threads, "one by one (baseline)"))
        ratio = f"  x{min(rates) / max(base):.1f}-{max(rates) / min(base):.1f} vs one by one" if base and \
            name != "one by one (baseline)" else ""
        print(f"  threads {threads}  {name:<24} {min(rates):.2f}-{max(rates):.2f}{ratio}")
    if "one by one (baseline)" in texts:
        same = sum(a == b for a, b in zip(texts["one by one (baseline)"], texts["batched, sorted (ours)"]))
        print(f"greedy replies identical to one by one: {same} of {len(prompts)} (float32 rounding in padded "
              "batches can flip a near-tie token)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

"""Training throughput: packed and length-grouped batches vs a naive padded batch loop.

    .venv/bin/python benchmarks/train.py [--rows 192] [--repeats 3] [--threads 1] [--model tiny|smollm2]
    .venv/bin/python benchmarks/train.py --threads-check      # 1 thread vs all cores, packed batches
    .venv/bin/python benchmarks/train.py --device cuda --model smollm2 --rows 1000   # QLoRA on a GPU

The baseline is the loop most fine-tuning notebooks start from: rows in random order, batches of
`--batch-rows` rows padded to the longest row of the batch (the tokenizer's padding=True) with an
attention mask, the model's own loss. Ours is the same model, LoRA and optimizer fed by
workbench.train: packing (rows first-fit into sequences of max_seq_len, positions restarting per
row, no padding) and, without packing, length-grouped batches of the same size as the baseline.
Every variant runs one pass over the same rows with the same loss mask; the methods alternate
within each repeat so load on the machine hits them alike. tokens/s counts real tokens (no padding).

The default model is a 2-layer Llama with random weights and SmolLM2's tokenizer (so the token
lengths are the real ones); --model smollm2 uses SmolLM2-135M-Instruct itself (slow on a CPU).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "support" / "support_chats.jsonl"


def load_rows(n: int, seed: int = 0) -> list[list[dict[str, str]]]:
    from workbench.io import read_input

    records = read_input(str(SAMPLE)).records
    rows = records.get_column("messages").to_list()
    random.Random(seed).shuffle(rows)
    return rows[:n]


def build_model(kind: str, model_path: str, seed: int, device: str):
    """The LoRA model every variant trains. On CUDA: QLoRA (4-bit NF4, double quant, bf16 compute)
    through the same loader `workbench train` uses; the baseline loop then is the plain
    transformers + peft QLoRA loop on that model."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    from workbench.train.config import TrainConfig
    from workbench.train.model import BaseModel, add_lora, load_base, plan_device

    torch.manual_seed(seed)
    if kind != "tiny":
        cfg = TrainConfig(device=device, threads=torch.get_num_threads())
        plan = plan_device(cfg)
        model = load_base(BaseModel("", kind, model_path, "benchmark"), plan)
        return add_lora(model, cfg, plan)[0], plan
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=8192, tie_word_embeddings=True)).to(device)
    model.config.use_cache = False
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(model, lora), None


class Runner:
    """Forward, backward and an AdamW step per batch, timed batch by batch.

    The variants take turns batch by batch, so a burst of load from other jobs on this shared
    machine slows all of them alike instead of whichever variant happened to be running.
    """

    def __init__(self, model, plan) -> None:
        import torch

        self.model = model
        self.cuda = plan is not None and plan.device == "cuda"
        params = [p for p in model.parameters() if p.requires_grad]
        if plan is not None and plan.mode == "qlora":
            import bitsandbytes as bnb

            self.optimizer = bnb.optim.PagedAdamW8bit(params, lr=2e-4)
        else:
            self.optimizer = torch.optim.AdamW(params, lr=2e-4)
        self.peak: dict[str, float] = {}

    def step(self, tensors, n_real: int, ours: bool, name: str = "") -> float:
        import contextlib

        import torch

        from workbench.train.loop import assistant_loss

        self.model.train()
        if self.cuda:
            tensors = {k: v.to("cuda") for k, v in tensors.items()}
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        autocast = torch.autocast("cuda", dtype=torch.bfloat16) if self.cuda else contextlib.nullcontext()
        started = time.perf_counter()
        with autocast:
            if ours:
                loss = assistant_loss(self.model, tensors, max(int((tensors["labels"] != -100).sum()), 1))
            else:  # what a plain loop does: the model's own loss over every position's logits
                loss = self.model(**tensors, use_cache=False).loss
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.cuda:
            torch.cuda.synchronize()
            self.peak[name] = max(self.peak.get(name, 0.0), torch.cuda.max_memory_allocated() / 2**30)
        return time.perf_counter() - started


def interleaved(runner: Runner, plans: dict[str, tuple[list, bool]]) -> dict[str, tuple[float, int, int]]:
    """Run every variant's batches, taking turns; (seconds, real tokens, padded tokens) per variant."""
    totals = {name: [0.0, 0, 0] for name in plans}
    # Each variant's batches spread evenly over the same span, merged into one order.
    order = sorted(((j + 0.5) / len(batches), name, j) for name, (batches, _) in plans.items()
                   for j in range(len(batches)))
    for _, name, j in order:
        batches, ours = plans[name]
        tensors, n_real = batches[j]
        totals[name][0] += runner.step(tensors, n_real, ours, name)
        totals[name][1] += n_real
        totals[name][2] += tensors["input_ids"].numel()
    return {name: (t[0], t[1], t[2]) for name, t in totals.items()}


def naive_batches(examples, batch_rows: int, pad_id: int, seed: int):
    """The baseline: random order, pad each batch to its longest row, attention mask."""
    import torch

    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    out = []
    for s in range(0, len(order), batch_rows):
        chunk = [examples[i] for i in order[s:s + batch_rows]]
        width = max(len(e) for e in chunk)
        ids = torch.full((len(chunk), width), pad_id)
        labels = torch.full((len(chunk), width), -100)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, e in enumerate(chunk):
            ids[r, :len(e)] = torch.tensor(e.input_ids)
            labels[r, :len(e)] = torch.tensor(e.labels)
            mask[r, :len(e)] = 1
        out.append(({"input_ids": ids, "labels": labels, "attention_mask": mask}, sum(len(e) for e in chunk)))
    return out


def our_batches(examples, batch: int, pad_id: int, seed: int, packing: bool, capacity: int):
    from workbench.train.batches import collate, epoch_batches

    lengths = [len(e) for e in examples]
    plan = epoch_batches(lengths, batch, seed, packing=packing, group_by_length=True, capacity=capacity)
    return [(collate(b, examples, pad_id), b.tokens(examples)) for b in plan]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-rows", type=int, default=8, help="rows per batch, baseline and length-grouped")
    ap.add_argument("--max-seq-len", type=int, default=1024)
    ap.add_argument("--model", default="tiny",
                    help="tiny (random 2-layer Llama), smollm2, or a local model folder (e.g. a 0.5B-1.5B model)")
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                    help="cuda: QLoRA 4-bit for real models, peak VRAM per variant")
    ap.add_argument("--threads-check", action="store_true", help="time packed batches at 1 thread vs all cores")
    args = ap.parse_args()
    if args.device == "cuda" and args.model == "tiny":
        ap.error("on cuda, benchmark a real model: --model smollm2 or --model PATH")

    import os

    import torch

    from workbench.train.data import encode_all
    from workbench.train.model import load_tokenizer, resolve_base_model

    torch.set_num_threads(args.threads)
    base = resolve_base_model("", echo=print)
    tokenizer, _ = load_tokenizer(base.path)
    examples, stats = encode_all(tokenizer, load_rows(args.rows), args.max_seq_len)
    pad_id = tokenizer.pad_token_id
    lengths = sorted(len(e) for e in examples)
    print(f"{len(examples)} rows of the sample support chats, {stats.tokens:,} tokens "
          f"(median {lengths[len(lengths) // 2]}, max {lengths[-1]}), {stats.trained_tokens:,} of them assistant "
          f"tokens; model {args.model}; torch threads {torch.get_num_threads()}; load {os.getloadavg()[0]:.2f}")

    # Packed sequences hold several rows: give them the same tokens per forward pass as the
    # baseline's average batch, so both take about the same number of optimizer steps.
    mean_len = stats.tokens / len(examples)
    pack_batch = max(1, round(args.batch_rows * mean_len / args.max_seq_len))
    variants = {
        "naive padded (baseline)": (lambda seed: naive_batches(examples, args.batch_rows, pad_id, seed), False),
        "length-grouped (ours)": (lambda seed: our_batches(examples, args.batch_rows, pad_id, seed, False,
                                                           args.max_seq_len), True),
        "packed (ours)": (lambda seed: our_batches(examples, pack_batch, pad_id, seed, True, args.max_seq_len), True),
        "packed, all logits": (lambda seed: our_batches(examples, pack_batch, pad_id, seed, True,
                                                        args.max_seq_len), False),
    }
    model_path = base.path if args.model in ("tiny", "smollm2") else args.model
    if model_path != base.path:  # another model: its own tokenizer and token lengths
        tokenizer, _ = load_tokenizer(model_path)
        examples, stats = encode_all(tokenizer, load_rows(args.rows), args.max_seq_len)
        pad_id = tokenizer.pad_token_id
    runner = Runner(*build_model(args.model, model_path, 0, args.device))
    if args.threads_check:
        plan = variants["packed (ours)"][0](0)
        for rep in range(args.repeats):
            for threads in (1, os.cpu_count() or 2):
                torch.set_num_threads(threads)
                seconds = sum(runner.step(t, n, True, "threads") for t, n in plan)
                print(f"  repeat {rep + 1}: {threads} thread(s): {sum(n for _, n in plan) / seconds:8,.0f} tokens/s",
                      flush=True)
        return
    warm = variants["packed (ours)"][0](99)[:2]
    for t, n in warm:
        runner.step(t, n, True)
    results: dict[str, list[float]] = {name: [] for name in variants}
    pad_share: dict[str, float] = {}
    for rep in range(args.repeats):
        plans = {name: (make(rep), ours) for name, (make, ours) in variants.items()}
        for name, (seconds, real, padded) in interleaved(runner, plans).items():
            results[name].append(real / seconds)
            pad_share[name] = 1 - real / padded
            vram = f", peak VRAM {runner.peak[name]:.2f} GiB" if name in runner.peak else ""
            print(f"  repeat {rep + 1}: {name:<26} {real / seconds:8,.0f} tokens/s  ({len(plans[name][0])} batches, "
                  f"{1 - real / padded:.0%} padding, {seconds:.1f} s{vram})", flush=True)
    baseline = next(iter(results))
    print(f"\n{'variant':<26} {'tokens/s (median, range)':>30} {'padding':>8} {'vs baseline':>22}")
    for name, values in results.items():
        ratios = [v / b for v, b in zip(values, results[baseline])]
        print(f"{name:<26} {statistics.median(values):>12,.0f} ({min(values):,.0f}-{max(values):,.0f})"
              f"{pad_share[name]:>12.0%} {statistics.median(ratios):>12.2f}x ({min(ratios):.2f}-{max(ratios):.2f})")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (2-core machine shared with other jobs)")


if __name__ == "__main__":
    main()

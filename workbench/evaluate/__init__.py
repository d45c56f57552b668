"""Judging a fine-tune: replies from the base model and adapters, automated metrics, blind A/B pairs
and votes, statistics and reports.

Nothing here imports textual; torch, transformers, peft and rouge_score load inside the functions
that need them, so `workbench eval report` and the CLI's help start fast.
"""

"""Use-cases: what a screen or a command asks for, in one place.

The TUI (`workbench.tui`) and the commands (`workbench.commands`) call these modules and the
domain's public types; neither re-implements a rule. Opening a project and where its cache lives
(:mod:`.project`), the rows as they reach a step (:mod:`.rows`), the dedup and PII reviews, the
synthetic-review queue, recipe editing, arena views and votes, the decision log, a training run's
process (:mod:`.train_run`) and the runs as the Train tab and `workbench runs` show them
(:mod:`.training`), housekeeping, and the headless pipelines.
"""

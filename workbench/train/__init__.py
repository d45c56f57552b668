"""Local LoRA / QLoRA training on a project's export (issue 6).

config (settings), rows (export rows, tool calls included, as conversations), data (an export's
splits to masked tokens), tool_template (whether a chat template shows tools), batches (packing,
length groups), model (base models, device and mode, LoRA), loop (the steps), runs (run folders
and records), runner (one run end to end). The commands (`workbench train`, `workbench runs`) are
in workbench.commands.train. Importing this package loads neither torch nor textual.
"""

"""`python -m workbench.commands ARGS`: the `workbench` command without its installed script.

The Train tab starts each run as `python -m workbench.commands train ...` (see
workbench.train.runs.launch), so a run needs only the interpreter that runs the TUI.
"""

import sys

from . import main

sys.exit(main())

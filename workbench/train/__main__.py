"""`python -m workbench.train PROJECT [flags]`: the process the Train screen starts."""

import sys

from .cli import main

sys.exit(main())

"""Workbench: prepare fine-tuning data and judge the result, in the terminal."""

import os

__version__ = "0.1.0"

# Nothing is ever downloaded from a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# Presidio's email recognizer would otherwise try to fetch the public-suffix list first.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

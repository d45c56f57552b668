"""Sentence embeddings shared by semantic dedup, categorize, balance and the Review screen: the
packaged MiniLM and its on-disk cache (:mod:`.encoder`), and records turned into vectors
(:mod:`.vectors`)."""

"""Balancing, categorising and reviewing synthetic examples: the parts that need no UI.

- :mod:`.agreement`: Cohen's and Fleiss' kappa between reviewers.
- :mod:`.distribution`: category counts before/after and the balance plan (caps, deficits).
- :mod:`.sampling`: diverse down-sampling over sentence embeddings (farthest-point, k-means).
- :mod:`.vectors`: record embeddings through the semantic-dedup cache.
- :mod:`.categorizers`: the built-in k-NN and nearest-centroid categorizers, and the plugin protocol.
- :mod:`.signals`, :mod:`.language`: what the Review screen shows beside a synthetic example.
- :mod:`.verdicts`: reviewers' verdicts in the store, and how several of them combine.
- :mod:`.queue`: the rows to review, progress and resume.
- :mod:`.prefix`: the rows as they reach a step of the recipe (for the Balance screen's preview).
- :mod:`.recipe_edit`: writing a step's parameters into workbench.toml, comments kept.
- :mod:`.card`: the DATA_CARD.md sections for these steps.

Nothing here imports textual, and torch / sentence_transformers only load when a function needs
embeddings that are not cached.
"""

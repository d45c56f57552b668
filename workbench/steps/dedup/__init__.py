"""The dedup methods: exact, near (shingles and MinHash), semantic (embeddings), shared clustering.

Each method is a :class:`PairwiseDedup` (base.py): it finds similar pairs, and clusters.py turns
them into clusters and drops the same way for all of them. The Dedup screen clusters the pairs
with the same code as the steps' ``run``, so what the screen shows is what an export drops.
"""

from .base import PairwiseDedup, is_pairwise_dedup
from .clusters import Cluster, ClusterResult, Corpus, SimilarPairs, find_clusters

__all__ = ["Cluster", "ClusterResult", "Corpus", "PairwiseDedup", "SimilarPairs", "find_clusters",
           "is_pairwise_dedup"]

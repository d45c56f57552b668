"""Near and semantic duplicate detection: shingles and MinHash, embeddings, shared clustering.

The Dedup screen calls :func:`find_clusters`; the ``near_dedup`` and ``semantic_dedup`` steps
run the same function, so what the screen shows is what an export drops.
"""

from .clusters import Cluster, ClusterResult, find_clusters

__all__ = ["Cluster", "ClusterResult", "find_clusters"]

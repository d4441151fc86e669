"""Which windows share a voice: spectral clustering of the embeddings, the number of speakers found by the
eigengap (3D-Speaker's recipe, in numpy alone: no new dependency).

The cosine affinity of every pair of windows is pruned to each row's strongest links, symmetrised, and the
unnormalised Laplacian's eigenvalues read: the largest gap among the first max+1 of them gives the number of
speakers (within the show's bounds). k-means on the first k eigenvectors labels the windows; a cluster of
fewer than MIN_CLUSTER windows joins the nearest large one, and two clusters whose centres are closer than
MERGE_COS are one voice (the eigengap over-splits a long single voice, and a short recording into islands):
close clusters are joined before and after the small ones are absorbed. A long recording is clustered on an
even sample of MAX_POINTS windows, every window then labelled by its nearest centre.
"""

from __future__ import annotations

import numpy as np

PRUNE_KEEP = 0.02  # fraction of each row's links kept (3D-Speaker: 0.012, which split a music bed off a voice) ...
MIN_KEEP = 10  # ... but never fewer than this (6, as 3D-Speaker, splits a short session into islands) ...
FEW_KEEP = 4  # ... nor more than a quarter of the windows (a 20 s recording has 12), and 3 at least
MIN_CLUSTER = 3  # windows (4.5 s of speech): a smaller cluster is noise, merged into its nearest
MERGE_COS = 0.8  # clusters whose centres are this similar are one speaker
FEW_WINDOWS = 10  # fewer windows than this: one speaker (nothing to tell apart)
MAX_POINTS = 1000  # the affinity matrix's side at most (memory: 8 MB a matrix; eigh time)
SEED = 0


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _speaker_count(laplacian_values: np.ndarray, low: int, high: int) -> int:
    values = laplacian_values[low - 1:high + 1]
    if len(values) < 2:
        return low
    return int(np.argmax(np.diff(values))) + low


def _spectral(x: np.ndarray, low: int, high: int) -> np.ndarray:
    n = len(x)
    affinity = x @ x.T
    keep = max(min(MIN_KEEP, max(3, n // FEW_KEEP)), int(round(PRUNE_KEEP * n)))
    drop = max(0, n - keep)
    if drop:
        weakest = np.partition(affinity, drop - 1, axis=1)[:, drop - 1:drop]
        affinity[affinity <= weakest] = 0.0
    affinity = 0.5 * (affinity + affinity.T)
    np.fill_diagonal(affinity, 0.0)
    laplacian = np.diag(np.abs(affinity).sum(axis=1)) - affinity
    values, vectors = np.linalg.eigh(laplacian)
    k = _speaker_count(values, low, min(high, n - 1))
    if k <= 1:
        return np.zeros(n, dtype=int)
    return kmeans(vectors[:, :k], k)


def kmeans(points: np.ndarray, k: int, restarts: int = 5, rounds: int = 50) -> np.ndarray:
    """Lloyd's k-means from k-means++ seeds, the tightest of `restarts` runs (seeded: the same labels each run)."""
    rng = np.random.default_rng(SEED)
    best, best_inertia = np.zeros(len(points), dtype=int), np.inf
    for _ in range(restarts):
        centres = points[[int(rng.integers(len(points)))]]
        while len(centres) < k:
            distance = ((points[:, None, :] - centres[None]) ** 2).sum(axis=2).min(axis=1)
            total = distance.sum()
            pick = int(rng.choice(len(points), p=distance / total)) if total > 0 else int(rng.integers(len(points)))
            centres = np.vstack([centres, points[pick]])
        labels = np.zeros(len(points), dtype=int)
        for _ in range(rounds):
            labels = ((points[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
            moved = np.stack([points[labels == c].mean(axis=0) if (labels == c).any() else centres[c]
                              for c in range(k)])
            if np.allclose(moved, centres):
                break
            centres = moved
        inertia = float(((points - centres[labels]) ** 2).sum())
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    return best


def _centres(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ids = np.unique(labels)
    return ids, _normalise(np.stack([x[labels == i].mean(axis=0) for i in ids]))


def _absorb_small(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    ids, sizes = np.unique(labels, return_counts=True)
    large = ids[sizes >= MIN_CLUSTER]
    if len(large) == len(ids):
        return labels
    if not len(large):
        return np.zeros_like(labels)
    centres = _normalise(np.stack([x[labels == i].mean(axis=0) for i in large]))
    small = ~np.isin(labels, large)
    labels = labels.copy()
    labels[small] = large[np.argmax(x[small] @ centres.T, axis=1)]
    return labels


def _merge_close(x: np.ndarray, labels: np.ndarray, low: int) -> np.ndarray:
    labels = labels.copy()
    while True:
        ids, centres = _centres(x, labels)
        if len(ids) <= max(1, low):
            return labels
        similarity = np.triu(centres @ centres.T, 1)
        i, j = np.unravel_index(np.argmax(similarity), similarity.shape)
        if similarity[i, j] < MERGE_COS:
            return labels
        labels[labels == ids[j]] = ids[i]


def cluster(embeddings: np.ndarray, min_speakers: int = 1, max_speakers: int = 6) -> np.ndarray:
    """A speaker label (0..k-1, in order of first appearance) for each row of `embeddings` (n × d)."""
    n = len(embeddings)
    if not n:
        return np.zeros(0, dtype=int)
    x = _normalise(np.asarray(embeddings, dtype=np.float64))
    low, high = max(1, min_speakers), max(1, max_speakers, min_speakers)
    if n < FEW_WINDOWS:
        return np.zeros(n, dtype=int)
    sample = np.linspace(0, n - 1, MAX_POINTS).round().astype(int) if n > MAX_POINTS else np.arange(n)
    labels = _spectral(x[sample], low, high)
    # fragments of one voice joined first: on a short recording the pruned graph falls into islands of 1-2
    # windows each, and absorbing those before would pour a second voice into the one large island
    labels = _merge_close(x[sample], labels, low)
    labels = _absorb_small(x[sample], labels)
    labels = _merge_close(x[sample], labels, low)
    if len(sample) < n:
        ids, centres = _centres(x[sample], labels)
        labels = ids[np.argmax(x @ centres.T, axis=1)]
    return first_appearance(labels)


def first_appearance(labels: np.ndarray) -> np.ndarray:
    order = {label: index for index, label in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[label] for label in labels.tolist()], dtype=int)

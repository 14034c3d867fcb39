"""LightGBM's TreeSHAP contributions (``pred_contrib=True``) by Fast TreeSHAP v2, in one numba kernel.

LightGBM's ``Tree::TreeSHAP`` recurses over every path of every tree for each row, extending and
unwinding the path's subset weights as it goes: O(T·L·D²) a row. Fast TreeSHAP v2 (Yang 2021,
arXiv:2109.09847) observes that for one leaf the weights depend on the row only through *which* of
the leaf's path features the row satisfies, so they can be computed once per leaf for every such
subset and looked up: O(T·L·D) a row, with 2^D numbers a leaf (D ≤ 6 here: 64).

For a leaf ``l`` with value ``v``, the distinct features ``F`` on its path (``d`` of them), each
feature's cover fraction ``z_j`` (the product over its splits on the path of child count / node
count, LightGBM's ``zero_fraction``) and the subset ``U`` of features whose every split the row
follows toward ``l`` (LightGBM's ``one_fraction`` = 1), the leaf adds to feature ``i`` of ``F``

    v · (1[i∈U] − z_i) · Π_{j∉U, j≠i} z_j · H(U∖{i}),   H(K) = Σ_{S⊆K} w_d(|S|) Π_{j∈K∖S} z_j,

with the Shapley weights ``w_d(s) = s!(d−1−s)!/d!``. ``H`` (times ``v``) is the precomputed table:
for each ``K`` it is Σ_s w_d(s)·e_{|K|−s}(z_K), the elementary symmetric polynomials built up one
feature at a time. No division by a cover, so a zero-count child is no special case. The paper's
fallback when 2^D tables do not fit (v1) is not needed for our depth-6 trees; deeper paths are
refused (``PathsTooDeep``) and the caller keeps LightGBM's own.

The trees, decisions and covers are ``FlatForest``'s (``models/forest.py``): the model text is read
once. The bias column is LightGBM's ``Tree::ExpectedValue`` summed over trees.
``tests/models/test_treeshap.py`` holds the result to ``pred_contrib`` within 1e-9.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from models.forest import FlatForest, goes_left

MAX_PATH_FEATURES = 16  # 2^16 table entries a leaf; beyond this the tables outgrow the gain


class PathsTooDeep(ValueError):
    """A leaf's path splits on more distinct features than subset tables are kept for."""


@dataclass(frozen=True)
class TreeShap:
    """Per-leaf paths and subset tables of a ``FlatForest``, for exact TreeSHAP contributions."""

    forest: FlatForest
    expected_value: float
    path_node: np.ndarray  # (leaf, step): tree-local node on the path, root first
    path_left: np.ndarray  # (leaf, step): whether the path goes left there
    path_slot: np.ndarray  # (leaf, step): which of the leaf's distinct features the node splits on
    path_length: np.ndarray
    features: np.ndarray  # (leaf, slot): the feature index of each distinct path feature
    cover: np.ndarray  # (leaf, slot): z, the product of cover fractions of its splits
    n_features_on_path: np.ndarray
    table_start: np.ndarray  # per leaf: its 2^d entries of v·H in ``table``
    table: np.ndarray

    @classmethod
    def from_forest(cls, forest: FlatForest) -> TreeShap:
        """Precompute every leaf's path and subset table; refuse paths too deep for tables."""
        depth = int(max(forest.leaves.max(initial=1) - 1, 1))
        node, left, slot, length, features, cover, n_features_on_path = _paths(
            forest.node_start,
            forest.leaf_start,
            forest.leaves,
            forest.split_feature,
            forest.left,
            forest.right,
            forest.leaf_count,
            forest.internal_count,
            depth,
        )
        deepest = int(n_features_on_path.max(initial=0))
        if deepest > MAX_PATH_FEATURES:
            raise PathsTooDeep(
                f"a path splits on {deepest} distinct features; subset tables stop at {MAX_PATH_FEATURES}"
            )
        table_start = np.concatenate([[0], np.cumsum(1 << n_features_on_path)]).astype(np.int64)
        table = _tables(cover, forest.leaf_value, n_features_on_path, table_start)
        expected = 0.0
        for tree in range(len(forest.leaves)):  # LightGBM's order and arithmetic, tree by tree
            first, n = forest.leaf_start[tree], forest.leaves[tree]
            if n == 1:
                expected += forest.leaf_value[first]
                continue
            total = forest.internal_count[forest.node_start[tree]]
            counts, values = forest.leaf_count[first : first + n], forest.leaf_value[first : first + n]
            expected += float(sum((c / total) * v for c, v in zip(counts, values, strict=True)))
        shap = cls(
            forest,
            expected,
            node,
            left,
            slot,
            length,
            features,
            cover,
            n_features_on_path,
            table_start[:-1],
            table,
        )
        shap.contributions(np.zeros((1, forest.n_features)))  # compile (or load) the kernel now
        return shap

    def contributions(self, matrix: np.ndarray, threads: int = 1) -> np.ndarray:
        """Return ``Booster.predict(matrix, pred_contrib=True)``: rows × (features + expected value)."""
        matrix = np.require(matrix, dtype=np.float64, requirements="C")
        n_features = self.forest.n_features
        if matrix.ndim != 2 or matrix.shape[1] != n_features:
            raise ValueError(f"expected a matrix of {n_features} features, got shape {matrix.shape}")
        out = np.zeros((matrix.shape[0], n_features + 1))
        chunks = np.array_split(np.arange(matrix.shape[0]), max(1, min(threads, matrix.shape[0])))
        if len(chunks) == 1:
            self._kernel(matrix, out)
        else:  # the kernel releases the GIL: one slice of rows per thread, written in place
            with ThreadPoolExecutor(len(chunks)) as pool:
                list(
                    pool.map(lambda c: self._kernel(matrix[c[0] : c[-1] + 1], out[c[0] : c[-1] + 1]), chunks)
                )
        return out

    def _kernel(self, matrix: np.ndarray, out: np.ndarray) -> None:
        forest = self.forest
        _contributions(
            matrix,
            out,
            self.expected_value,
            forest.node_start,
            forest.leaf_start,
            forest.leaves,
            forest.split_feature,
            forest.threshold,
            forest.decision_type,
            forest.bitset_start,
            forest.bitset_end,
            forest.bitsets,
            self.path_node,
            self.path_left,
            self.path_slot,
            self.path_length,
            self.features,
            self.cover,
            self.n_features_on_path,
            self.table_start,
            self.table,
        )


@numba.njit(cache=True)
def _paths(
    node_start, leaf_start, leaves, split_feature, left, right, leaf_count, internal_count, depth
):  # pragma: no cover - compiled; covered through TreeShap.from_forest
    """Each leaf's root-to-leaf nodes, their directions and the path's distinct features and covers."""
    n_leaves = leaf_count.shape[0]
    path_node = np.zeros((n_leaves, depth), np.int64)
    path_left = np.zeros((n_leaves, depth), np.bool_)
    path_slot = np.zeros((n_leaves, depth), np.int64)
    path_length = np.zeros(n_leaves, np.int64)
    features = np.zeros((n_leaves, depth), np.int64)
    cover = np.ones((n_leaves, depth))
    n_features_on_path = np.zeros(n_leaves, np.int64)
    steps = np.zeros(depth, np.int64)
    for tree in range(leaves.shape[0]):
        n = leaves[tree]
        if n == 1:
            continue
        base = node_start[tree]
        parent = np.full(n - 1, -1, np.int64)  # of each internal node; leaves' parents apart
        leaf_parent = np.zeros(n, np.int64)
        for node in range(n - 1):
            for child in (left[base + node], right[base + node]):
                if child >= 0:
                    parent[child] = node
                else:
                    leaf_parent[~child] = node
        for leaf in range(n):
            g = leaf_start[tree] + leaf
            length = 0
            node = leaf_parent[leaf]
            while node >= 0:  # leaf to root, then read backwards
                steps[length] = node
                length += 1
                node = parent[node]
            child_count = leaf_count[g]
            child = ~leaf
            for k in range(length):  # k counts from the leaf up; step = root-first position
                node = steps[k]
                step = length - 1 - k
                path_node[g, step] = node
                path_left[g, step] = left[base + node] == child
                child = node
            d = 0
            for step in range(length):
                node = path_node[g, step]
                feature = split_feature[base + node]
                slot = -1
                for s in range(d):
                    if features[g, s] == feature:
                        slot = s
                if slot < 0:
                    slot = d
                    features[g, slot] = feature
                    d += 1
                path_slot[g, step] = slot
                below = (
                    path_node[g, step + 1] if step + 1 < length else -1
                )  # the path's child: next node, or the leaf itself
                count = internal_count[base + below] if below >= 0 else child_count
                cover[g, slot] *= count / internal_count[base + node]
            path_length[g] = length
            n_features_on_path[g] = d
    return path_node, path_left, path_slot, path_length, features, cover, n_features_on_path


@numba.njit(cache=True)
def _tables(cover, leaf_value, n_features_on_path, table_start):  # pragma: no cover - compiled
    """v·H(K) for every leaf and every subset K of its path features (see the module docstring)."""
    table = np.zeros(table_start[-1])
    for g in range(leaf_value.shape[0]):
        d = n_features_on_path[g]
        if d == 0:
            continue
        weight = np.zeros(d)  # w_d(s) = 1 / (d · C(d−1, s))
        binomial = 1.0
        for s in range(d):
            weight[s] = 1.0 / (d * binomial)
            binomial = binomial * (d - 1 - s) / (s + 1)
        size = 1 << d
        polynomial = np.zeros((size, d + 1))  # coefficients of Π_{j∈K} (t + z_j)
        polynomial[0, 0] = 1.0
        for subset in range(1, size):
            lowest = subset & -subset
            j = 0
            while (1 << j) != lowest:
                j += 1
            previous = subset ^ lowest
            z = cover[g, j]
            for s in range(d + 1):
                polynomial[subset, s] = polynomial[previous, s] * z
                if s > 0:
                    polynomial[subset, s] += polynomial[previous, s - 1]
        for subset in range(size - 1):  # the full set never appears: a feature's own excludes it
            h = 0.0
            for s in range(d):
                h += weight[s] * polynomial[subset, s]
            table[table_start[g] + subset] = leaf_value[g] * h
    return table


@numba.njit(cache=True, nogil=True)
def _contributions(
    x,
    out,
    expected_value,
    node_start,
    leaf_start,
    leaves,
    split_feature,
    threshold,
    decision_type,
    bitset_start,
    bitset_end,
    bitsets,
    path_node,
    path_left,
    path_slot,
    path_length,
    features,
    cover,
    n_features_on_path,
    table_start,
    table,
):  # pragma: no cover - compiled; covered through TreeShap.contributions
    bias = out.shape[1] - 1
    go_left = np.zeros(max(leaves.max(), 2), np.bool_)
    prefix = np.ones(cover.shape[1] + 1)
    for row in range(x.shape[0]):
        out[row, bias] = expected_value
        for tree in range(leaves.shape[0]):
            n = leaves[tree]
            if n == 1:
                continue
            base = node_start[tree]
            for node in range(n - 1):  # every decision of the tree once, shared by its leaves
                at = base + node
                go_left[node] = goes_left(
                    x[row, split_feature[at]], at, threshold, decision_type, bitset_start, bitset_end, bitsets
                )
            for leaf in range(n):
                g = leaf_start[tree] + leaf
                d = n_features_on_path[g]
                satisfied = (1 << d) - 1
                for step in range(path_length[g]):
                    if go_left[path_node[g, step]] != path_left[g, step]:
                        satisfied &= ~(1 << path_slot[g, step])
                for j in range(d):  # prefix[j]: Π of z over unsatisfied features before j
                    prefix[j + 1] = prefix[j] if (satisfied >> j) & 1 else prefix[j] * cover[g, j]
                start = table_start[g]
                suffix = 1.0
                for j in range(d - 1, -1, -1):
                    z = cover[g, j]
                    if (satisfied >> j) & 1:
                        out[row, features[g, j]] += (
                            (1.0 - z) * prefix[j] * suffix * table[start + (satisfied ^ (1 << j))]
                        )
                    else:
                        out[row, features[g, j]] -= z * prefix[j] * suffix * table[start + satisfied]
                        suffix *= z

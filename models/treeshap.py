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

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from models.forest import CATEGORICAL, ZERO, FlatForest, goes_left

MAX_PATH_FEATURES = 16  # 2^16·16 table entries a leaf; beyond this the tables outgrow the gain
MAX_NODES = 63  # a tree's decisions for a row are one 64-bit word


class PathsTooDeep(ValueError):
    """A path splits on more distinct features than tables are kept for, or a tree is too big."""


@dataclass(frozen=True)
class TreeShap:
    """Per-leaf path masks and subset tables of a ``FlatForest``, for exact TreeSHAP contributions."""

    forest: FlatForest
    expected_value: float
    path_length: np.ndarray  # per leaf: splits from the root
    features: np.ndarray  # (leaf, slot): the feature index of each distinct path feature
    n_features_on_path: np.ndarray
    goes_left_to: np.ndarray  # per leaf: bit per tree node, set where its path goes left
    slot_nodes: np.ndarray  # (leaf, slot): bit per tree node on the path splitting on that feature
    table_start: np.ndarray  # per leaf: its 2^d × d contributions in ``table``
    table: np.ndarray

    @classmethod
    def from_forest(cls, forest: FlatForest) -> TreeShap:
        """Precompute every leaf's path and subset table; refuse paths too deep for tables."""
        if forest.leaves.max(initial=1) - 1 > MAX_NODES:
            raise PathsTooDeep(f"a tree has more than {MAX_NODES} splits; decision words stop there")
        depth = int(max(forest.leaves.max(initial=1) - 1, 1))
        length, features, cover, n_features_on_path, goes_left_to, slot_nodes = _paths(
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
        sizes = (1 << n_features_on_path) * n_features_on_path
        table_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
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
            length,
            features,
            n_features_on_path,
            goes_left_to,
            slot_nodes,
            table_start[:-1],
            table,
        )
        shap.contributions(np.zeros((1, forest.n_features)))  # compile (or load) the kernel now
        return shap

    def contributions(self, matrix: np.ndarray, threads: int = 1) -> np.ndarray:
        """Return ``Booster.predict(matrix, pred_contrib=True)``: rows × (features + expected value)."""
        matrix = np.require(matrix, dtype=np.float64, requirements="F")
        n_features = self.forest.n_features
        if matrix.ndim != 2 or matrix.shape[1] != n_features:
            raise ValueError(f"expected a matrix of {n_features} features, got shape {matrix.shape}")
        out = np.zeros((matrix.shape[0], n_features + 1))
        bounds = np.linspace(0, matrix.shape[0], max(1, min(threads, matrix.shape[0])) + 1).astype(int)
        if len(bounds) == 2:
            self._kernel(matrix, out)
        else:  # the kernel releases the GIL: one slice of rows per thread, written back in place

            def part(first: int, stop: int) -> None:
                out[first:stop] = self._kernel(np.asfortranarray(matrix[first:stop]), out[first:stop].copy())

            with ThreadPoolExecutor(len(bounds) - 1) as pool:
                list(pool.map(part, bounds[:-1], bounds[1:]))
        return out

    def _kernel(self, matrix: np.ndarray, out: np.ndarray) -> np.ndarray:
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
            self.features,
            self.n_features_on_path,
            self.goes_left_to,
            self.slot_nodes,
            self.table_start,
            self.table,
        )
        return out


@numba.njit(cache=True)
def _paths(
    node_start, leaf_start, leaves, split_feature, left, right, leaf_count, internal_count, depth
):  # pragma: no cover - compiled; covered through TreeShap.from_forest
    """Each leaf's path: its distinct features with their covers, as bit masks over the tree's nodes."""
    n_leaves = leaf_count.shape[0]
    path_length = np.zeros(n_leaves, np.int64)
    features = np.zeros((n_leaves, depth), np.int64)
    cover = np.ones((n_leaves, depth))
    n_features_on_path = np.zeros(n_leaves, np.int64)
    goes_left_to = np.zeros(n_leaves, np.int64)
    slot_nodes = np.zeros((n_leaves, depth), np.int64)
    for tree in range(leaves.shape[0]):
        n = leaves[tree]
        if n == 1:
            continue
        base = node_start[tree]
        parent = np.full(n - 1, -1, np.int64)  # of each internal node; the leaves' apart
        leaf_parent = np.zeros(n, np.int64)
        for node in range(n - 1):
            for child in (left[base + node], right[base + node]):
                if child >= 0:
                    parent[child] = node
                else:
                    leaf_parent[~child] = node
        for leaf in range(n):
            g = leaf_start[tree] + leaf
            child, child_count, node = ~leaf, leaf_count[g], leaf_parent[leaf]
            d = 0
            while node >= 0:  # leaf to root: the order of a feature's splits does not matter
                feature = split_feature[base + node]
                slot = -1
                for s in range(d):
                    if features[g, s] == feature:
                        slot = s
                if slot < 0:
                    slot = d
                    features[g, slot] = feature
                    d += 1
                cover[g, slot] *= child_count / internal_count[base + node]
                slot_nodes[g, slot] |= 1 << node
                if left[base + node] == child:
                    goes_left_to[g] |= 1 << node
                path_length[g] += 1
                child, child_count, node = node, internal_count[base + node], parent[node]
            n_features_on_path[g] = d
    return path_length, features, cover, n_features_on_path, goes_left_to, slot_nodes


@numba.njit(cache=True)
def _tables(cover, leaf_value, n_features_on_path, table_start):  # pragma: no cover - compiled
    """Every leaf's contribution to each path feature for every satisfied subset U (module docstring)."""
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
        h = np.zeros(size)  # H(K); the full set never appears (a feature's own subset excludes it)
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
        for subset in range(size - 1):
            for s in range(d):
                h[subset] += weight[s] * polynomial[subset, s]
        for satisfied in range(size):
            for j in range(d):
                others = 1.0  # Π of z over the unsatisfied features other than j
                for k in range(d):
                    if k != j and not (satisfied >> k) & 1:
                        others *= cover[g, k]
                z = cover[g, j]
                on = (satisfied >> j) & 1  # 1[j ∈ U]: (1 − z)·H(U∖{j}), else −z·H(U)
                share = (on - z) * h[satisfied ^ (on << j)]
                table[table_start[g] + satisfied * d + j] = leaf_value[g] * others * share
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
    features,
    n_features_on_path,
    goes_left_to,
    slot_nodes,
    table_start,
    table,
):  # pragma: no cover - compiled; covered through TreeShap.contributions
    bias = out.shape[1] - 1
    n = x.shape[0]
    decisions = np.zeros(n, np.int64)  # per row, a bit per node of the tree: the row goes left there
    for row in range(n):
        out[row, bias] = expected_value
    for tree in range(leaves.shape[0]):  # one tree over all rows: its masks and tables stay in cache
        n_leaves = leaves[tree]
        if n_leaves == 1:
            continue
        base = node_start[tree]
        decisions[:] = 0
        for node in range(n_leaves - 1):  # one node down a feature's column: one kind of decision
            at = base + node
            column = split_feature[at]
            bit = 1 << node
            kind = decision_type[at]
            if kind & CATEGORICAL:
                for row in range(n):
                    value = x[row, column]
                    if goes_left(value, at, threshold, decision_type, bitset_start, bitset_end, bitsets):
                        decisions[row] |= bit
                continue
            # goes_left's numerical rule with the node's constants hoisted: where NaN and values
            # within the zero threshold go, and the comparison for everything else
            zero_left = goes_left(0.0, at, threshold, decision_type, bitset_start, bitset_end, bitsets)
            nan_left = goes_left(np.nan, at, threshold, decision_type, bitset_start, bitset_end, bitsets)
            split = threshold[at]
            for row in range(n):
                value = x[row, column]
                if abs(value) > ZERO:  # False for NaN too
                    left = value <= split
                elif math.isnan(value):
                    left = nan_left
                else:
                    left = zero_left
                if left:
                    decisions[row] |= bit
        for row in range(n):
            for leaf in range(n_leaves):
                g = leaf_start[tree] + leaf
                d = n_features_on_path[g]
                astray = decisions[row] ^ goes_left_to[g]  # nodes (on the path) where the row turns away
                satisfied = 0
                for j in range(d):
                    if astray & slot_nodes[g, j] == 0:
                        satisfied |= 1 << j
                start = table_start[g] + satisfied * d
                for j in range(d):
                    out[row, features[g, j]] += table[start + j]

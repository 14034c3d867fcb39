"""A LightGBM binary model's trees as flat arrays, walked by one numba kernel: the same probabilities.

``Booster.predict`` walks every tree for one row before the next, through a per-row sparse copy of
the features; for a 300-tree model that is most of a 1,000-row request. The kernel walks one tree
over all rows before the next, reading the column-major design matrix in place. It follows
LightGBM's decision rules (``Tree::NumericalDecision``, ``Tree::CategoricalDecision`` and the
zero threshold of its dense-row reader in ``include/LightGBM/tree.h`` and ``c_api.cpp``), adds the
trees in LightGBM's order and applies its sigmoid with the same arithmetic, so its output equals
``Booster.predict`` bit for bit; ``tests/models/test_forest.py`` holds it to that on every kind of
split. ``models/treeshap.py`` reads the same arrays (with the nodes' training counts) for the
reasons' SHAP contributions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import lightgbm as lgb
import numba
import numpy as np

CATEGORICAL, DEFAULT_LEFT = 1, 2  # decision_type bits; bits 2-3 hold the missing type
MISSING_ZERO, MISSING_NAN = 1, 2
ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float literal): smaller magnitudes read as 0


@dataclass(frozen=True)
class FlatForest:
    """Every tree's nodes end to end; a tree's nodes and leaves start at its offsets."""

    n_features: int
    sigmoid: float
    node_start: np.ndarray
    leaf_start: np.ndarray
    leaves: np.ndarray
    split_feature: np.ndarray
    threshold: np.ndarray  # numeric: the split value; categorical: the node's bitset index
    decision_type: np.ndarray
    left: np.ndarray  # child node, or ~leaf when negative
    right: np.ndarray
    leaf_value: np.ndarray
    leaf_count: np.ndarray  # training rows per leaf and per node: TreeSHAP's cover
    internal_count: np.ndarray
    bitset_start: np.ndarray  # per categorical split: its slice of bitsets
    bitset_end: np.ndarray
    bitsets: np.ndarray

    @classmethod
    def from_booster(cls, booster: lgb.Booster) -> FlatForest:
        """Flatten the trees ``booster.predict`` uses by default (the best iteration, if any)."""
        return cls.from_model_text(booster.model_to_string())

    @classmethod
    def from_model_text(cls, text: str) -> FlatForest:
        """Flatten the trees of LightGBM's model text (``Booster.model_to_string``)."""
        header, trees = _parse(text)
        objective = header["objective"].split()
        if objective[0] != "binary" or header.get("num_tree_per_iteration", "1") != "1":
            raise ValueError(f"FlatForest evaluates binary models only, not {header['objective']!r}")
        sigmoid = float(next(p.split(":")[1] for p in objective[1:] if p.startswith("sigmoid:")))
        columns: dict[str, list[float]] = {name: [] for name in _ARRAYS}
        nodes = leaves = bits = 0
        for tree in trees:
            if tree.get("is_linear", "0") != "0":
                raise ValueError("FlatForest does not evaluate linear trees")
            n_leaves = int(tree["num_leaves"])
            columns["node_start"].append(nodes)
            columns["leaf_start"].append(leaves)
            columns["leaves"].append(n_leaves)
            columns["leaf_value"] += _numbers(tree["leaf_value"])
            columns["leaf_count"] += _numbers(tree.get("leaf_count", "")) or [0.0] * n_leaves
            leaves += n_leaves
            if n_leaves == 1:
                continue
            kinds = _numbers(tree["decision_type"])
            threshold = _numbers(tree["threshold"])
            if int(tree["num_cat"]) > 0:
                bounds = _numbers(tree["cat_boundaries"])
                first = len(columns["bitset_start"])  # the tree's bitset indices become global
                threshold = [
                    first + t if int(k) & CATEGORICAL else t for t, k in zip(threshold, kinds, strict=True)
                ]
                columns["bitset_start"] += [bits + b for b in bounds[:-1]]
                columns["bitset_end"] += [bits + b for b in bounds[1:]]
                columns["bitsets"] += _numbers(tree["cat_threshold"])
                bits += int(bounds[-1])
            columns["split_feature"] += _numbers(tree["split_feature"])
            columns["threshold"] += threshold
            columns["decision_type"] += kinds
            columns["left"] += _numbers(tree["left_child"])
            columns["right"] += _numbers(tree["right_child"])
            columns["internal_count"] += _numbers(tree["internal_count"])
            nodes += n_leaves - 1
        arrays = {name: np.asarray(columns[name], dtype=dtype) for name, dtype in _ARRAYS.items()}
        forest = cls(int(header["max_feature_idx"]) + 1, sigmoid, **arrays)
        forest.probability(np.zeros((1, forest.n_features)))  # compile (or load) the kernel now
        return forest

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Return ``Booster.predict(matrix)``: the sigmoid of the summed leaf values per row."""
        matrix = np.require(matrix, dtype=np.float64, requirements="F")
        if matrix.ndim != 2 or matrix.shape[1] != self.n_features:
            raise ValueError(f"expected a matrix of {self.n_features} features, got shape {matrix.shape}")
        return _probability(
            matrix,
            self.sigmoid,
            self.node_start,
            self.leaf_start,
            self.leaves,
            self.split_feature,
            self.threshold,
            self.decision_type,
            self.left,
            self.right,
            self.leaf_value,
            self.bitset_start,
            self.bitset_end,
            self.bitsets,
        )


_ARRAYS = {
    "node_start": np.int64,
    "leaf_start": np.int64,
    "leaves": np.int64,
    "split_feature": np.int64,
    "threshold": np.float64,
    "decision_type": np.int64,
    "left": np.int64,
    "right": np.int64,
    "leaf_value": np.float64,
    "leaf_count": np.float64,
    "internal_count": np.float64,
    "bitset_start": np.int64,
    "bitset_end": np.int64,
    "bitsets": np.uint32,
}


def _parse(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Split LightGBM's model text into its header and one key → value table per tree."""
    header: dict[str, str] = {}
    trees: list[dict[str, str]] = []
    for line in text.splitlines():
        if line.startswith("end of trees"):
            break
        key, equals, value = line.partition("=")
        if key == "Tree":
            trees.append({})
        elif equals:
            (trees[-1] if trees else header)[key] = value
    return header, trees


def _numbers(values: str) -> list[float]:
    # LightGBM writes doubles with enough digits to read back exactly.
    return [float(v) for v in values.split()]


@numba.njit(cache=True, nogil=True, inline="always")
def goes_left(
    value, at, threshold, decision_type, bitset_start, bitset_end, bitsets
):  # pragma: no cover - compiled; covered through the kernels that call it
    """LightGBM's ``Tree::Decision`` at node ``at`` for a feature value (dense-row zero rule first)."""
    kind = decision_type[at]
    if -ZERO <= value <= ZERO:
        value = 0.0
    if kind & CATEGORICAL:
        if math.isnan(value) or value <= -1.0 or value >= 2147483648.0:
            return False  # LightGBM casts to a 32-bit int: out of range reads as negative
        category = int(value)
        word = bitset_start[int(threshold[at])] + (category >> 5)
        return word < bitset_end[int(threshold[at])] and (bitsets[word] >> (category & 31)) & 1 == 1
    missing = (kind >> 2) & 3
    if math.isnan(value) and missing != MISSING_NAN:
        value = 0.0
    if (missing == MISSING_ZERO and value == 0.0) or (missing == MISSING_NAN and math.isnan(value)):
        return kind & DEFAULT_LEFT != 0
    return value <= threshold[at]


@numba.njit(cache=True, nogil=True)
def _probability(
    x,
    sigmoid,
    node_start,
    leaf_start,
    leaves,
    split_feature,
    threshold,
    decision_type,
    left,
    right,
    leaf_value,
    bitset_start,
    bitset_end,
    bitsets,
):  # pragma: no cover - compiled; covered through FlatForest.probability
    n = x.shape[0]
    total = np.zeros(n)
    for tree in range(leaves.shape[0]):
        base = node_start[tree]
        if leaves[tree] == 1:
            for row in range(n):
                total[row] += leaf_value[leaf_start[tree]]
            continue
        for row in range(n):
            node = 0
            while node >= 0:
                at = base + node
                go_left = goes_left(
                    x[row, split_feature[at]], at, threshold, decision_type, bitset_start, bitset_end, bitsets
                )
                node = left[at] if go_left else right[at]
            total[row] += leaf_value[leaf_start[tree] + ~node]
    for row in range(n):
        total[row] = 1.0 / (1.0 + math.exp(-sigmoid * total[row]))
    return total

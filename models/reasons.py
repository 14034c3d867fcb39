"""Top reasons from per-row SHAP contributions, worded from the feature registry.

Contributions are TreeSHAP's (``models/treeshap.py``: LightGBM's ``pred_contrib`` values). A reason
is a feature pushing toward the adverse outcome (default, staying unrepaired, going dormant); its text is the
registry description plus whether the enterprise's value is high or low against the training
median — "近12个月欠税月数偏高 / high: months with tax arrears in 12". A feature resting on figures the
enterprise declared itself says so ("（企业自报）" / "(self-declared)"), so nobody mistakes a claim
for a department's record. Texts are precomputed per (feature, level), so wording 1,000 rows is a
fancy index, not 1,000 string formats.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from features.registry import FEATURES_BY_NAME

LOW, HIGH, MISSING, CATEGORY = 0, 1, 2, 3
_ZH = ("{d}偏低", "{d}偏高", "{d}无记录", "{d}因素")
_EN = ("low: {d}", "high: {d}", "no record: {d}", "{d} effect")
SELF_DECLARED = ("（企业自报）", " (self-declared)")


@dataclass(frozen=True)
class ReasonWording:
    """Per-feature texts for each level and the training medians that pick the level."""

    features: tuple[str, ...]
    medians: tuple[float, ...]
    categorical: tuple[bool, ...]

    @classmethod
    def fit(cls, features: tuple[str, ...], matrix: np.ndarray, categorical: list[int]) -> ReasonWording:
        """Take the medians of the training matrix (NaN-skipping) for the high/low wording."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column has no median
            medians = np.nanmedian(matrix, axis=0)
        flags = np.zeros(len(features), dtype=bool)
        flags[categorical] = True
        return cls(features, tuple(np.nan_to_num(medians).tolist()), tuple(flags.tolist()))

    def texts(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (zh, en) object arrays of shape (features, 4 levels)."""
        definitions = [FEATURES_BY_NAME[f] for f in self.features]
        zh = np.array(
            [
                [t.format(d=d.description_zh) + (SELF_DECLARED[0] if d.self_declared else "") for t in _ZH]
                for d in definitions
            ],
            dtype=object,
        )
        en = np.array(
            [
                [t.format(d=d.description_en) + (SELF_DECLARED[1] if d.self_declared else "") for t in _EN]
                for d in definitions
            ],
            dtype=object,
        )
        return zh, en


class ReasonWriter:
    """Turns a contribution matrix into the k strongest adverse reasons per row."""

    def __init__(self, wording: ReasonWording, adverse_sign: int) -> None:
        self.wording = wording
        self.adverse_sign = adverse_sign
        self.names = np.asarray(wording.features, dtype=object)
        self.zh, self.en = wording.texts()
        self.medians = np.asarray(wording.medians)
        self.categorical = np.asarray(wording.categorical)

    def top(self, matrix: np.ndarray, contributions: np.ndarray, k: int) -> dict[str, np.ndarray]:
        """Return columns ``reason_{i}_{feature,zh,en,contribution}`` for i = 1..k.

        ``contributions`` is the (rows × features+1) output of ``pred_contrib``; the last column
        (the expected value) is not a reason. Contributions are in log-odds of the booster.
        """
        n, p = matrix.shape
        k = min(k, p)
        adverse = contributions[:, :p] * self.adverse_sign
        if k < p:
            part = np.argpartition(-adverse, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(p), (n, p))
        order = np.argsort(-np.take_along_axis(adverse, part, axis=1), axis=1, kind="stable")
        idx = np.take_along_axis(part, order, axis=1)
        values = np.take_along_axis(matrix, idx, axis=1)
        level = np.where(np.isnan(values), MISSING, (values > self.medians[idx]).astype(np.int64))
        level = np.where(self.categorical[idx], CATEGORY, level)
        strength = np.take_along_axis(contributions, idx, axis=1)
        out: dict[str, np.ndarray] = {}
        blank = np.full(n, None, dtype=object)
        for i in range(k):
            # A feature that does not push toward the adverse outcome is no reason: leave it blank.
            real = np.take_along_axis(adverse, idx[:, i : i + 1], axis=1)[:, 0] > 0
            out[f"reason_{i + 1}_feature"] = np.where(real, self.names[idx[:, i]], blank)
            out[f"reason_{i + 1}_zh"] = np.where(real, self.zh[idx[:, i], level[:, i]], blank)
            out[f"reason_{i + 1}_en"] = np.where(real, self.en[idx[:, i], level[:, i]], blank)
            out[f"reason_{i + 1}_contribution"] = strength[:, i]
        return out

"""Score scale, master scale, supervision classes and their policy overrides (SPEC §5).

All functions work on whole numpy arrays: scoring 1,000 enterprises costs a few vector operations,
not 1,000 Python objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

GRADES: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
# Upper PD bound of each grade but the last; bands roughly double so one notch ≈ odds × 2.
GRADE_PD_UPPER: tuple[float, ...] = (0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)
CLASSES: tuple[str, ...] = ("A", "B", "C", "D")
# Supervision class of each grade before overrides: A low risk … D high risk.
GRADE_CLASS: tuple[str, ...] = ("A", "A", "A", "B", "B", "C", "C", "D", "D")

# Policy columns (features registry) and the override each triggers.
FORCE_D = {
    "ce_active_serious_dishonesty": (
        "在严重失信名单，监管类别定为D",
        "on the serious-dishonesty list: class D",
    ),
    "ce_active_judgment_defaulter": ("为失信被执行人，监管类别定为D", "a judgment defaulter: class D"),
}
CAP_C = {
    "ce_active_abnormal_operation": (
        "在经营异常名录，监管类别不高于C",
        "on the abnormal-operation list: class at best C",
    ),
    "tg_last_is_d": ("纳税信用D级，监管类别不高于C", "tax credit grade D: class at best C"),
}
POLICY_COLUMNS: tuple[str, ...] = (*FORCE_D, *CAP_C)


@dataclass(frozen=True)
class ScoreScale:
    """Points = offset + factor·ln(good:bad odds): ``base_points`` at ``base_odds``, +``pdo`` doubles."""

    base_points: float = 600.0
    base_odds: float = 50.0
    pdo: float = 40.0
    lowest: float = 300.0
    highest: float = 900.0

    @property
    def factor(self) -> float:
        return self.pdo / np.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_points - self.factor * np.log(self.base_odds)

    def points(self, pd_: np.ndarray) -> np.ndarray:
        """Return scores (rounded to whole points, clipped) for probabilities of default."""
        p = np.clip(np.asarray(pd_, dtype=np.float64), 1e-12, 1 - 1e-12)
        raw = self.offset + self.factor * (np.log1p(-p) - np.log(p))
        return np.clip(np.round(raw), self.lowest, self.highest)


def grade_index(pd_: np.ndarray, upper: tuple[float, ...] = GRADE_PD_UPPER) -> np.ndarray:
    """Return the master-scale notch (0 = AAA … 8 = C) of each PD."""
    return np.searchsorted(np.asarray(upper), np.asarray(pd_, dtype=np.float64), side="left")


def grades(pd_: np.ndarray, upper: tuple[float, ...] = GRADE_PD_UPPER) -> np.ndarray:
    """Return the master-scale grade of each PD."""
    return np.asarray(GRADES, dtype=object)[grade_index(pd_, upper)]


def _flag(policy: Mapping[str, np.ndarray], column: str, n: int) -> np.ndarray:
    if column not in policy:
        return np.zeros(n, dtype=bool)
    return np.nan_to_num(np.asarray(policy[column], dtype=np.float64)) > 0


def supervision_classes(
    grade_idx: np.ndarray, policy: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (class, override reason zh, override reason en) after the policy overrides.

    ``policy`` holds the policy columns (name → values; a missing one is never hit).

    An active serious-dishonesty or judgment-defaulter record forces ``D``; an active
    abnormal-operation listing or tax grade D caps the class at ``C`` (a model class of ``D``
    stays ``D``). Reasons name every rule that changed or pinned the class, joined by "；"/"; ".
    """
    n = len(grade_idx)
    rank = np.asarray([CLASSES.index(c) for c in GRADE_CLASS])[grade_idx]
    reason_zh = np.full(n, "", dtype=object)
    reason_en = np.full(n, "", dtype=object)
    for rules, floor in ((FORCE_D, 3), (CAP_C, 2)):
        for column, (zh, en) in rules.items():
            hit = _flag(policy, column, n)
            if not hit.any():
                continue
            rank = np.where(hit, np.maximum(rank, floor), rank)
            sep_zh = np.where(reason_zh[hit] == "", "", "；")
            sep_en = np.where(reason_en[hit] == "", "", "; ")
            reason_zh[hit] = reason_zh[hit] + sep_zh + zh
            reason_en[hit] = reason_en[hit] + sep_en + en
    return np.asarray(CLASSES, dtype=object)[rank], reason_zh, reason_en


WARNING_LEVELS: tuple[str, ...] = ("none", "amber", "red")


def warning_levels(p_unrepaired: np.ndarray, amber: float, red: float) -> np.ndarray:
    """Return ``red`` at or above ``red``, ``amber`` at or above ``amber``, else ``none``."""
    if not amber <= red:
        raise ValueError(f"amber threshold {amber} must not exceed red threshold {red}")
    level = (p_unrepaired >= amber).astype(np.int64) + (p_unrepaired >= red)
    return np.asarray(WARNING_LEVELS, dtype=object)[level]

"""Score scale, master scale and warning levels (SPEC §5); classes come from ``models.policy``.

All functions work on whole numpy arrays: scoring 1,000 enterprises costs a few vector operations,
not 1,000 Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRADES: tuple[str, ...] = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
# Upper PD bound of each grade but the last; bands roughly double so one notch ≈ odds × 2.
GRADE_PD_UPPER: tuple[float, ...] = (0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32)
CLASSES: tuple[str, ...] = ("A", "B", "C", "D")  # supervision classes; models/policy.py assigns them


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


WARNING_LEVELS: tuple[str, ...] = ("none", "amber", "red")


def warning_levels(p_unrepaired: np.ndarray, amber: float, red: float) -> np.ndarray:
    """Return ``red`` at or above ``red``, ``amber`` at or above ``amber``, else ``none``."""
    if not amber <= red:
        raise ValueError(f"amber threshold {amber} must not exceed red threshold {red}")
    level = (p_unrepaired >= amber).astype(np.int64) + (p_unrepaired >= red)
    return np.asarray(WARNING_LEVELS, dtype=object)[level]

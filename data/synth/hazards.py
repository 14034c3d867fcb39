"""The latent world's rates: the macro cycle, event hazards and the operating transitions.

Each is a function of integrity ``g`` and health ``h`` (arrays over enterprises) with the
coefficients of ``params``; the simulation draws from them and the ground truth
(``truth``) integrates them, so both read the same rates.
"""

from __future__ import annotations

import numpy as np

from data.synth import params as P
from data.synth.calendar import MonthGrid


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def macro_cycle(grid: MonthGrid) -> np.ndarray:
    """Shared macro factor per month: a slow cycle with a sharp downturn early in the window."""
    t = np.arange(grid.size + grid.horizon) - grid.burn_in
    return (
        0.30 * np.sin(2 * np.pi * (t + 6) / 42)
        - 0.90 * np.exp(-(((t - 8) / 4.0) ** 2))
        - 0.40 * np.exp(-(((t - 34) / 5.0) ** 2))
    )


def hazard(name: str, g: np.ndarray, h: np.ndarray, operating: np.ndarray) -> np.ndarray:
    """Monthly hazard of a credit event: log-linear in integrity and health, regime by operation."""
    coef_op, coef_dormant, b_g, a_h = P.HAZARDS[name]
    return np.where(operating, coef_op, coef_dormant) * np.exp(b_g * g + a_h * h)


def continue_prob(g: np.ndarray) -> np.ndarray:
    """Probability an arrears spell lasts another month: low integrity pays late."""
    return 0.35 + 0.40 * sigmoid(-1.2 * g)


def dormancy_prob(h: np.ndarray) -> np.ndarray:
    return P.DORMANCY_BASE + P.DORMANCY_DISTRESS * sigmoid(-P.DORMANCY_SLOPE * (h - P.DORMANCY_KNEE))


def revival_prob(h: np.ndarray) -> np.ndarray:
    return P.REVIVAL * 2 * sigmoid(2 * h)


def resolution_hazard(kind: str, g: np.ndarray, h: np.ndarray, operating: np.ndarray) -> np.ndarray:
    """Monthly hazard that an eligible record is repaired, cured or performed."""
    coef_op, coef_dormant, b_g, a_h = P.REPAIR[kind]
    return np.where(operating, coef_op * np.exp(b_g * g + a_h * h), coef_dormant)

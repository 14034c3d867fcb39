"""Probability calibration fitted on the validation period, stored as plain arrays.

Isotonic calibration is kept as its breakpoints and applied by linear interpolation, Platt as two
coefficients, so applying either costs one vector operation and the artifact stays JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["isotonic", "platt", "identity"]
PD_FLOOR = 1e-4


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p) - np.log1p(-p)


@dataclass(frozen=True)
class Calibrator:
    """Monotone map from booster probability to calibrated probability."""

    method: Method
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    @classmethod
    def fit(cls, raw: np.ndarray, outcome: np.ndarray, method: Method = "isotonic") -> Calibrator:
        """Fit on validation-period booster probabilities and their observed outcomes."""
        raw = np.asarray(raw, dtype=np.float64)
        outcome = np.asarray(outcome, dtype=np.float64)
        if method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, outcome)
            return cls("isotonic", tuple(iso.X_thresholds_.tolist()), tuple(iso.y_thresholds_.tolist()))
        if method == "platt":
            from sklearn.linear_model import LogisticRegression

            fit = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], outcome.astype(int))
            return cls("platt", (float(fit.coef_[0, 0]),), (float(fit.intercept_[0]),))
        return cls("identity")

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities, kept off exact 0 and 1 so odds stay finite."""
        if self.method == "isotonic":
            calibrated = np.interp(raw, self.x, self.y)
        elif self.method == "platt":
            calibrated = 1.0 / (1.0 + np.exp(-(self.x[0] * _logit(raw) + self.y[0])))
        else:
            calibrated = np.asarray(raw, dtype=np.float64)
        return np.clip(calibrated, PD_FLOOR, 1 - PD_FLOOR)

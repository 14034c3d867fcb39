"""What would lift an enterprise to the next grade: a greedy search over actionable features.

Each step tries, for every row at once, moving each actionable feature to its risk-reducing target
(a training quantile on the good side) and keeps the single move that lowers PD most; it stops for
a row once its grade improves by a notch, after ``max_steps`` moves, or when no move helps. Only
features whose value is on the adverse side of their target are moved; a missing value is never a
lever. The booster is monotone in these features, so a move toward the good side never raises PD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features.registry import FEATURES_BY_NAME
from models.scale import GRADES, grade_index

if TYPE_CHECKING:
    from models.scoring import ScoringModel

_RISK_SENSE = {"increases_risk": 1, "decreases_risk": -1}
MAX_CANDIDATE_ROWS = 200_000  # rows × candidates predicted at once, to bound memory


def improvement_targets(features: tuple[str, ...], matrix: np.ndarray) -> dict[str, float]:
    """Return, per actionable feature with a known direction, the value a good enterprise has.

    Risk-raising features go to their training 10th percentile, risk-lowering ones to their 90th.
    """
    targets = {}
    for j, name in enumerate(features):
        definition = FEATURES_BY_NAME[name]
        sense = _RISK_SENSE.get(definition.direction)
        if not (definition.actionable and sense and definition.kind == "numeric"):
            continue
        column = matrix[:, j][~np.isnan(matrix[:, j])]
        if len(column):
            targets[name] = float(np.quantile(column, 0.1 if sense > 0 else 0.9))
    return targets


def _action_texts(name: str, target: float) -> tuple[str, str]:
    definition = FEATURES_BY_NAME[name]
    value = f"{target:.4g}"
    if _RISK_SENSE[definition.direction] > 0:
        return f"将{definition.description_zh}降至{value}", f"reduce {definition.description_en} to {value}"
    return f"将{definition.description_zh}提高至{value}", f"raise {definition.description_en} to {value}"


class ImprovementSearch:
    """Greedy search, vectorised over rows, re-predicting with the model's booster."""

    def __init__(self, model: ScoringModel, targets: dict[str, float], max_steps: int = 3) -> None:
        self.model = model
        self.max_steps = max_steps
        position = {n: j for j, n in enumerate(model.spec.features)}
        names = [n for n in targets if n in position]
        self.columns = np.asarray([position[n] for n in names], dtype=np.int64)
        self.targets = np.asarray([targets[n] for n in names])
        self.sense = np.asarray([_RISK_SENSE[FEATURES_BY_NAME[n].direction] for n in names])
        texts = [_action_texts(n, targets[n]) for n in names]
        self.zh = np.asarray([t[0] for t in texts], dtype=object)
        self.en = np.asarray([t[1] for t in texts], dtype=object)

    def _candidate_pd(self, matrix: np.ndarray) -> np.ndarray:
        """PD of each row with each candidate move applied alone (rows × candidates)."""
        n, c = len(matrix), len(self.columns)
        out = np.empty((n, c))
        step = max(1, MAX_CANDIDATE_ROWS // max(c, 1))
        for first in range(0, n, step):
            block = matrix[first : first + step]
            stacked = np.repeat(block[:, None, :], c, axis=1)
            stacked[:, np.arange(c), self.columns] = self.targets
            raw = self.model.raw(stacked.reshape(-1, matrix.shape[1]))
            out[first : first + step] = self.model.calibrator(raw).reshape(len(block), c)
        return out

    def run(self, matrix: np.ndarray, probability: np.ndarray) -> dict[str, np.ndarray]:
        """Return the moves (zh, en), the PD and grade they reach, and whether a notch is gained."""
        n = len(matrix)
        start = grade_index(probability)
        current = matrix.copy()
        pd_now = probability.copy()
        open_rows = start > 0
        zh = np.full(n, "", dtype=object)
        en = np.full(n, "", dtype=object)
        if len(self.columns):
            for _ in range(self.max_steps):
                rows = np.flatnonzero(open_rows)
                if not len(rows):
                    break
                values = current[np.ix_(rows, self.columns)]
                # Only adverse values move: a missing value (no arrears on record, say) is no lever.
                movable = (values - self.targets) * self.sense > 0
                candidate = np.where(movable, self._candidate_pd(current[rows]), np.inf)
                best = np.argmin(candidate, axis=1)
                best_pd = candidate[np.arange(len(rows)), best]
                gain = best_pd < pd_now[rows] - 1e-12
                moved, choice = rows[gain], best[gain]
                current[moved, self.columns[choice]] = self.targets[choice]
                pd_now[moved] = best_pd[gain]
                zh[moved] = zh[moved] + np.where(zh[moved] == "", "", "；") + self.zh[choice]
                en[moved] = en[moved] + np.where(en[moved] == "", "", "; ") + self.en[choice]
                open_rows[rows[~gain]] = False
                open_rows &= grade_index(pd_now) >= start
        reached = grade_index(pd_now)
        return {
            "improvement_zh": zh,
            "improvement_en": en,
            "improvement_pd": pd_now,
            "improvement_grade": np.asarray(GRADES, dtype=object)[reached],
            "improvement_reaches_next_grade": (reached < start) | (start == 0),
        }

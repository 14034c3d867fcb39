"""A scoring model: booster + fitted preprocessing + calibration + the outputs of SPEC §5.

``ScoringModel.predict`` is the one function that turns feature rows into the full output; the
training pipeline evaluates it and the MLflow pyfunc serves it, so serving computes exactly what
training measured. Everything is vectorised over rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from data.vocabulary import CREDIT_EVENT_KIND_NAMES, SEVERITY_NAMES
from models.activity import ACTIVITY_SCORE_COLUMN
from models.calibration import Calibrator
from models.forest import FlatForest
from models.improvements import ImprovementSearch
from models.policy import SupervisionPolicy, load_policy
from models.preprocess import FeatureSpec
from models.reasons import ReasonWording, ReasonWriter
from models.scale import GRADES, ScoreScale, grade_index, warning_levels
from models.treeshap import PathsTooDeep, TreeShap

Kind = Literal["credit", "repair", "activity"]
KINDS: tuple[Kind, ...] = ("credit", "repair", "activity")
CHAMPION = "champion"  # the MLflow registry alias that the gate moves and serving loads


def registered_name(kind: str) -> str:
    """Return the MLflow registered-model name (and experiment name) of a model kind."""
    return f"zonecredit-{kind}"


# The booster models the adverse outcome for credit and repair, and being active for activity.
OUTCOME_SENSE: dict[Kind, int] = {"credit": 1, "repair": 1, "activity": -1}
PROBABILITY_COLUMN: dict[Kind, str] = {"credit": "pd", "repair": "p_unrepaired", "activity": "p_active"}
ID_COLUMNS = ("credit_code", "as_of")
# English names of the listings counted in force (the Chinese names are the vocabulary's).
_LISTING_EN = {
    "abnormal_operation": "abnormal-operation listing",
    "serious_dishonesty": "serious-dishonesty listing",
    "judgment_defaulter": "judgment defaulter",
}
# Repair records behind a warning: registry columns counting what is in force.
REPAIR_RECORD_COLUMNS = {
    **{
        f"ce_active_unrepaired_{level}": (f"{SEVERITY_NAMES[level]}失信记录", f"{level} records")
        for level in ("general", "serious")
    },
    **{f"ce_active_{kind}": (CREDIT_EVENT_KIND_NAMES[kind], en) for kind, en in _LISTING_EN.items()},
}


@dataclass
class ScoringModel:
    """Everything needed to score feature rows for one of the three models."""

    kind: Kind
    booster: lgb.Booster
    spec: FeatureSpec
    calibrator: Calibrator
    wording: ReasonWording
    thresholds: dict[str, float] = field(default_factory=dict)
    improvement_targets: dict[str, float] = field(default_factory=dict)
    scale: ScoreScale = field(default_factory=ScoreScale)
    name: str = ""
    # The supervision policy the model was registered with (credit): its classes and version.
    policy: SupervisionPolicy = field(default_factory=load_policy)
    # OpenMP threads per predict call: on a shared machine, more threads than idle cores make
    # LightGBM's spinning workers an order of magnitude slower, so one is the safe default.
    threads: int = 1

    def __post_init__(self) -> None:
        self.name = self.name or f"zonecredit-{self.kind}"
        self.reason_writer = ReasonWriter(self.wording, OUTCOME_SENSE[self.kind])
        text = self.booster.model_to_string()  # the trees predict uses, read once for both
        self.fingerprint = hashlib.sha256(text.encode()).hexdigest()[:12]
        self.forest = FlatForest.from_model_text(text)
        try:
            self.shap: TreeShap | None = TreeShap.from_forest(self.forest)
        except PathsTooDeep:  # paths too deep for Fast TreeSHAP's tables: LightGBM's own TreeSHAP
            self.shap = None

    # -- hot path -------------------------------------------------------------------------------
    def probability(self, rows: pd.DataFrame) -> np.ndarray:
        """Return the calibrated probability of the modelled outcome for each row."""
        return self.calibrator(self.raw(self.spec.matrix(rows)))

    def predict(self, rows: pd.DataFrame, top_reasons: int = 3, improvements: bool = False) -> pd.DataFrame:
        """Return the full output per row: probability, scales, classes, reasons, provenance."""
        out = self.outputs(self.spec.matrix(rows), top_reasons, improvements)
        # Text stays object: pandas' default string dtype would copy every label into Arrow.
        frame = pd.DataFrame({k: pd.Series(v, index=rows.index, dtype=v.dtype) for k, v in out.items()})
        for column in reversed(ID_COLUMNS):
            if column in rows:
                frame.insert(0, column, rows[column].to_numpy())
        return frame

    def outputs(
        self, matrix: np.ndarray, top_reasons: int = 3, improvements: bool = False
    ) -> dict[str, np.ndarray]:
        """Return ``predict``'s output columns for a design matrix, without a frame around them.

        Everything is read off the matrix: the policy and record columns behind classes and
        warnings are model features, so a caller holding columns (the API) never builds a frame.
        """
        probability = self.calibrator(self.raw(matrix))
        out = self._outputs(matrix, probability)
        if top_reasons > 0:
            contributions = self.raw(matrix, pred_contrib=True)
            out.update(self.reason_writer.top(matrix, contributions, top_reasons))
        if improvements and self.kind == "credit":
            search = ImprovementSearch(self, self.improvement_targets)
            out.update(search.run(matrix, probability))
        return out

    def contributions(self, rows: pd.DataFrame) -> np.ndarray:
        """Return TreeSHAP contributions (rows × features+1, last = expected value)."""
        return self.raw(self.spec.matrix(rows), pred_contrib=True)

    def raw(self, matrix: np.ndarray, pred_contrib: bool = False) -> np.ndarray:
        """Return the booster's uncalibrated probabilities (or contributions) for a matrix.

        One thread (a request) walks the flattened trees, which give the booster's probabilities
        bit for bit in about half its time; a batch that owns the machine keeps LightGBM's threads.
        Contributions are Fast TreeSHAP's (``models/treeshap.py``), LightGBM's ``pred_contrib``
        within 1e-9 in a fraction of its time, on as many threads.
        """
        if pred_contrib and self.shap is not None:
            return self.shap.contributions(matrix, self.threads)
        if pred_contrib or self.threads > 1:
            found = self.booster.predict(matrix, pred_contrib=pred_contrib, num_threads=self.threads)
            return np.asarray(found)
        return self.forest.probability(matrix)

    def _outputs(self, matrix: np.ndarray, probability: np.ndarray) -> dict[str, np.ndarray]:
        n = len(probability)
        out: dict[str, np.ndarray] = {
            "model": np.full(n, self.name, dtype=object),
            "model_fingerprint": np.full(n, self.fingerprint, dtype=object),
            "feature_set_version": np.full(n, self.spec.feature_set_version, dtype=object),
            PROBABILITY_COLUMN[self.kind]: probability,
        }
        if self.kind == "credit":
            notch = grade_index(probability)
            klass, why_zh, why_en = self.policy.classify(
                probability, self._columns(matrix, self.policy.columns)
            )
            out |= {
                "policy_version": np.full(n, self.policy.version, dtype=object),
                "score": self.scale.points(probability),
                "grade": np.asarray(GRADES, dtype=object)[notch],
                "supervision_class": klass,
                "override_reason_zh": why_zh,
                "override_reason_en": why_en,
            }
        elif self.kind == "repair":
            out["warning_level"] = warning_levels(
                probability, self.thresholds["amber"], self.thresholds["red"]
            )
            out |= _records_behind(self._columns(matrix, tuple(REPAIR_RECORD_COLUMNS)), n)
        else:
            out[ACTIVITY_SCORE_COLUMN] = np.round(100.0 * probability, 1)
        return out

    def _columns(self, matrix: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Return the matrix columns of those ``names`` that are model features."""
        return {name: matrix[:, i] for i, name in enumerate(self.spec.features) if name in names}

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: Path) -> Path:
        """Write ``booster.txt`` and ``model.json`` into ``directory``; return it."""
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / "booster.txt"))
        meta = {
            "kind": self.kind,
            "name": self.name,
            "spec": self.spec.to_dict(),
            "calibrator": {"method": self.calibrator.method, "x": self.calibrator.x, "y": self.calibrator.y},
            "wording": {
                "features": self.wording.features,
                "medians": self.wording.medians,
                "categorical": self.wording.categorical,
            },
            "thresholds": self.thresholds,
            "improvement_targets": self.improvement_targets,
            "scale": self.scale.__dict__,
            "policy": self.policy.to_toml_dict(),
        }
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
        return directory

    @classmethod
    def load(cls, directory: Path) -> ScoringModel:
        """Read a model written by ``save``."""
        meta = json.loads((Path(directory) / "model.json").read_text())
        wording = meta["wording"]
        return cls(
            kind=meta["kind"],
            booster=lgb.Booster(model_file=str(Path(directory) / "booster.txt")),
            spec=FeatureSpec.from_dict(meta["spec"]),
            calibrator=Calibrator(
                meta["calibrator"]["method"], tuple(meta["calibrator"]["x"]), tuple(meta["calibrator"]["y"])
            ),
            wording=ReasonWording(
                tuple(wording["features"]), tuple(wording["medians"]), tuple(wording["categorical"])
            ),
            thresholds=meta["thresholds"],
            improvement_targets=meta["improvement_targets"],
            scale=ScoreScale(**meta["scale"]),
            name=meta["name"],
            # Models saved before policies existed classify under the default policy.
            policy=SupervisionPolicy.model_validate(meta["policy"]) if "policy" in meta else load_policy(),
        )


def _records_behind(counts: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Return the in-force records behind a repair warning, as text in both languages."""
    zh = np.full(n, "", dtype=object)
    en = np.full(n, "", dtype=object)
    for column, (name_zh, name_en) in REPAIR_RECORD_COLUMNS.items():
        if column not in counts:
            continue
        count = np.nan_to_num(counts[column]).astype(np.int64)
        hit = count > 0
        text = count[hit].astype(str).astype(object)
        zh[hit] = zh[hit] + np.where(zh[hit] == "", "", "、") + name_zh + "×" + text
        en[hit] = en[hit] + np.where(en[hit] == "", "", ", ") + name_en + " ×" + text
    return {"records_zh": zh, "records_en": en}

"""Fit one booster and wrap it into a ``ScoringModel``: no tracking here, so tests call it directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.labels import get_label
from models.calibration import Calibrator, Method
from models.improvements import improvement_targets
from models.preprocess import FeatureSpec
from models.reasons import ReasonWording
from models.scoring import OUTCOME_SENSE, Kind, ScoringModel

MAX_ROUNDS = 400
EARLY_STOPPING_ROUNDS = 30
# Trees are kept small: native TreeSHAP costs O(trees × leaves × depth²) per row, and reasons
# for 100,000 enterprises must come back within minutes (bench/bench_models.py).
BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "auc",
    "verbosity": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,  # see ScoringModel.threads
    "max_depth": 6,
    "monotone_constraints_method": "basic",
}


def label_column(kind: str) -> str:
    return get_label(kind).column


def outcome(kind: Kind, frame: pd.DataFrame) -> np.ndarray:
    """Return the modelled outcome: the label for credit and repair, being active for activity."""
    return frame[label_column(kind)].to_numpy(np.float64)


def booster_params(spec: FeatureSpec, kind: Kind, tuned: dict[str, Any], seed: int) -> dict[str, Any]:
    """Return the full LightGBM parameters: base, tuned, constraints and seed.

    The zone stands in its own interaction group, so its effect is one additive shift of the
    log-odds and cannot reshape how arrears or sales act; that keeps a zone change to about a
    notch of the master scale.
    """
    zone = [i for i, n in enumerate(spec.features) if n == "reg_zone"]
    others = [i for i, n in enumerate(spec.features) if n != "reg_zone"]
    params = {
        **BASE_PARAMS,
        **tuned,
        "seed": seed,
        "monotone_constraints": spec.monotone_constraints(OUTCOME_SENSE[kind]),
    }
    if zone:
        params["interaction_constraints"] = [zone, others]
    return params


def fit_booster(
    kind: Kind,
    spec: FeatureSpec,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    tuned: dict[str, Any],
    seed: int = 0,
    callbacks: list[Callable] | None = None,
) -> lgb.Booster:
    """Train on ``train`` with early stopping on ``valid``; return the booster at its best round."""
    params = booster_params(spec, kind, tuned, seed)
    train_set = lgb.Dataset(
        spec.matrix(train),
        outcome(kind, train),
        feature_name=list(spec.features),
        categorical_feature=spec.categorical_indices,
        free_raw_data=False,
    )
    valid_set = lgb.Dataset(spec.matrix(valid), outcome(kind, valid), reference=train_set)
    return lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False), *(callbacks or [])],
    )


def repair_thresholds(
    outcome_valid: np.ndarray, p_valid: np.ndarray, red_precision: float = 0.8, amber_recall: float = 0.8
) -> dict[str, float]:
    """Return warning thresholds chosen on validation.

    ``red``: the lowest threshold whose warned set is at least ``red_precision`` truly unrepaired
    (the candidates for clearing out must be right); ``amber``: the highest threshold that still
    catches ``amber_recall`` of the unrepaired.
    """
    order = np.argsort(-p_valid, kind="stable")
    p_sorted, y_sorted = p_valid[order], outcome_valid[order]
    hits = np.cumsum(y_sorted)
    precision = hits / np.arange(1, len(y_sorted) + 1)
    recall = hits / max(hits[-1], 1)
    ok = np.flatnonzero(precision >= red_precision)
    red = float(p_sorted[ok[-1]]) if len(ok) else float(p_sorted[0])
    amber = float(p_sorted[np.flatnonzero(recall >= amber_recall)[0]]) if hits[-1] else red
    return {"amber": min(amber, red), "red": red}


# How each model's probabilities are calibrated. Credit keeps the booster's own: its log-loss fit
# is calibrated on the whole training period, whereas a refit on the one validation year carries
# that year's default rate — a phase of the economic cycle — into every later year. On the
# 1,000,000-enterprise world (validation year 19.7% defaults, training 17.8%, test year 18.0%),
# Platt on the validation year gave ECE 0.035 on the test year; the booster's own 0.014, which is
# the oracle's 0.015. Repair and activity keep Platt on the validation year: activity measured
# ECE 0.003 on the test year with it; repair (0.030) has not been compared with the alternatives.
CALIBRATION: dict[str, Method] = {"credit": "identity", "repair": "platt", "activity": "platt"}


def scoring_model(
    kind: Kind,
    spec: FeatureSpec,
    booster: lgb.Booster,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    calibration: Method | None = None,
) -> ScoringModel:
    """Wrap a booster: calibrate (``CALIBRATION`` unless given), fit reason wording, thresholds and
    targets.

    Where a model is recalibrated, it is Platt scaling on the validation period: linear in log-odds,
    so the additive zone effect stays one bounded shift; isotonic steps can stretch a small shift
    across several grades.
    """
    train_matrix = spec.matrix(train)
    raw_valid = np.asarray(booster.predict(spec.matrix(valid), num_threads=1))
    y_valid = outcome(kind, valid)
    calibrator = Calibrator.fit(raw_valid, y_valid, calibration or CALIBRATION[kind])
    thresholds = repair_thresholds(y_valid, calibrator(raw_valid)) if kind == "repair" else {}
    targets = improvement_targets(spec.features, train_matrix) if kind == "credit" else {}
    return ScoringModel(
        kind=kind,
        booster=booster,
        spec=spec,
        calibrator=calibrator,
        wording=ReasonWording.fit(spec.features, train_matrix, spec.categorical_indices),
        thresholds=thresholds,
        improvement_targets=targets,
    )

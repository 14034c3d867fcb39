"""The champion gate: the alias ``champion`` moves only to a version at least as good (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from mlflow import MlflowClient

from models.preprocess import FeatureRowsError
from models.scoring import CHAMPION, ScoringModel
from training.metrics import score_metrics

ECE_TOLERANCE = 0.005


@dataclass(frozen=True)
class GateDecision:
    """Whether the challenger becomes champion, the two sets of holdout metrics, and why."""

    promote: bool
    reason: str
    challenger: dict[str, float]
    champion: dict[str, float] | None = None
    champion_version: str | None = None


def decide(
    challenger: ScoringModel,
    holdout: pd.DataFrame,
    outcome: np.ndarray,
    champion: tuple[str, ScoringModel] | None,
    ece_tolerance: float = ECE_TOLERANCE,
) -> GateDecision:
    """Compare challenger and champion on the same out-of-time holdout.

    Promote when the challenger's AUC is at least the champion's and its calibration error is not
    worse by more than ``ece_tolerance``.
    """
    new = score_metrics(outcome, challenger.probability(holdout))
    if champion is None:
        return GateDecision(True, "no champion yet", new)
    version, model = champion
    try:
        old = score_metrics(outcome, model.probability(holdout))
    except FeatureRowsError as error:
        return GateDecision(
            False, f"champion v{version} cannot score this holdout: {error}", new, None, version
        )
    if new["auc"] < old["auc"]:
        reason = f"AUC {new['auc']:.4f} below champion v{version}'s {old['auc']:.4f}"
        return GateDecision(False, reason, new, old, version)
    if new["ece"] > old["ece"] + ece_tolerance:
        reason = f"calibration error {new['ece']:.4f} worse than champion v{version}'s {old['ece']:.4f}"
        return GateDecision(False, reason, new, old, version)
    reason = (
        f"AUC {new['auc']:.4f} ≥ {old['auc']:.4f} and ECE {new['ece']:.4f} within tolerance of v{version}"
    )
    return GateDecision(True, reason, new, old, version)


def promote(client: MlflowClient, name: str, version: str, decision: GateDecision) -> None:
    """Move the champion alias to ``version``; tag it and the version it replaces."""
    if decision.champion_version is not None:
        client.set_model_version_tag(name, decision.champion_version, "role", "former-champion")
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "role", CHAMPION)

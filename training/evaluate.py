"""``zonecredit evaluate``: runs and baselines side by side on their out-of-time tests."""

from __future__ import annotations

import mlflow
import pandas as pd
from mlflow import MlflowClient

from models.packaged import NoChampionError, champion_version, current_champion, tracking
from models.scoring import KINDS, ScoringModel, registered_name

COLUMNS = [
    "kind",
    "run_name",
    "role",
    "status",
    "registered_version",
    "champion",
    "test_auc",
    "test_ks",
    "test_gini",
    "test_brier",
    "test_ece",
    "psi_train_test",
    "start_time",
    "run_id",
]


def evaluate(tracking_uri: str | None = None, kinds: tuple[str, ...] = KINDS) -> pd.DataFrame:
    """Return one row per run (models and baselines) of each kind's experiment, newest first."""
    from zonecredit.settings import get_settings

    frames = []
    with tracking(tracking_uri or get_settings().resolved_mlflow_tracking_uri) as client:
        runs_by_kind = {}
        for kind in kinds:
            experiment = client.get_experiment_by_name(registered_name(kind))
            if experiment is not None:
                order = ["attributes.start_time DESC"]
                runs_by_kind[kind] = mlflow.search_runs([experiment.experiment_id], order_by=order)
    for kind, runs in runs_by_kind.items():
        if runs.empty:
            continue
        champion = champion_version(client, kind)
        frame = pd.DataFrame(
            {
                "kind": kind,
                "run_name": runs.get("tags.mlflow.runName"),
                "role": _role(runs),
                "status": runs["status"],
                "registered_version": runs.get("tags.registered_version"),
                "start_time": runs["start_time"],
                "run_id": runs["run_id"],
            }
        )
        frame["champion"] = frame["registered_version"] == champion
        for metric in ("test_auc", "test_ks", "test_gini", "test_brier", "test_ece", "psi_train_test"):
            frame[metric] = runs.get(f"metrics.{metric}")
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True).reindex(columns=COLUMNS)


def load_champion(kind: str = "credit", tracking_uri: str | None = None) -> tuple[str, ScoringModel]:
    """Return (version, model) of ``kind``'s champion, from the settings' registry by default."""
    from zonecredit.settings import get_settings

    client = MlflowClient(tracking_uri or get_settings().resolved_mlflow_tracking_uri)
    champion = current_champion(client, kind)
    if champion is None:
        raise NoChampionError(kind)
    return champion


def _role(runs: pd.DataFrame) -> pd.Series:
    """Baselines by name (``scorecard``, ``oracle``), models as ``model``."""
    role = runs["tags.role"] if "tags.role" in runs else pd.Series(None, index=runs.index)
    return runs["tags.baseline"].fillna(role) if "tags.baseline" in runs else role

"""The MLflow pyfunc wrapper: one artifact per model that ``mlflow models serve`` can serve.

The pyfunc holds nothing but a ``ScoringModel`` loaded from its artifact folder and delegates to
``ScoringModel.predict``, so the served output is the evaluated output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow import MlflowClient
from mlflow.pyfunc import PythonModel

from data.errors import NotReady
from models.scoring import CHAMPION, ScoringModel, registered_name

ARTIFACT_KEY = "scoring_model"


class ZoneCreditPyfunc(PythonModel):
    """Feature rows in, full model output out (PD/score/grade/class or warning or activity)."""

    def load_context(self, context: Any) -> None:
        self.model = ScoringModel.load(Path(context.artifacts[ARTIFACT_KEY]))

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        params = params or {}
        return self.model.predict(
            model_input,
            top_reasons=int(params.get("top_reasons", 3)),
            improvements=bool(params.get("improvements", False)),
        )


def log_pyfunc(model: ScoringModel, staging: Path, input_example: pd.DataFrame | None = None) -> Any:
    """Log ``model`` as a pyfunc under the active run (artifact path ``model``); return its info."""
    from mlflow.models import infer_signature

    folder = model.save(staging / "scoring_model")
    signature = None
    if input_example is not None:
        output = model.predict(input_example)
        signature = infer_signature(input_example, output, params={"top_reasons": 3, "improvements": False})
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=ZoneCreditPyfunc(),
        artifacts={ARTIFACT_KEY: str(folder)},
        signature=signature,
        input_example=input_example,
    )


@contextlib.contextmanager
def tracking(uri: str | None) -> Iterator[MlflowClient]:
    """Point MLflow's fluent API (runs, ``runs:/`` and ``models:/`` URIs) at ``uri`` for the block only.

    MLflow keeps one tracking URI per process and exports it to child processes as
    MLFLOW_TRACKING_URI: set for good, it sends every later call that names no store, in this
    process and its children, to this one. The block gets a client of ``uri``; ``None`` keeps
    MLflow's current store.
    """
    if uri is None:
        yield MlflowClient()
        return
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri  # set, then restored

    with _use_tracking_uri(uri):
        yield MlflowClient(uri)


def load_scoring_model(model_uri: str, tracking_uri: str | None = None) -> ScoringModel:
    """Return the ``ScoringModel`` behind a logged pyfunc (e.g. ``models:/zonecredit-credit@champion``)."""
    with tracking(tracking_uri):
        return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().model


class NoChampionError(NotReady):
    """A model kind has no version behind its ``champion`` alias yet."""

    def __init__(self, kind: str) -> None:
        name = registered_name(kind)
        super().__init__(f"{name} has no champion yet; train one first (zonecredit train {kind})")


def champion_version(client: MlflowClient, kind: str) -> str | None:
    """Return the registered version the ``champion`` alias of ``kind`` points at, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(registered_name(kind), CHAMPION).version)
    except MlflowException:  # no such registered model, or no alias on it
        return None


def current_champion(client: MlflowClient, kind: str) -> tuple[str, ScoringModel] | None:
    """Return (version, model) of ``kind``'s champion, loaded by version number, or None."""
    version = champion_version(client, kind)
    if version is None:
        return None
    return version, load_scoring_model(f"models:/{registered_name(kind)}/{version}", client.tracking_uri)


def require_champion_version(client: MlflowClient, kind: str) -> str:
    """Return the champion's version of ``kind``; NoChampionError says what to do when there is none."""
    version = champion_version(client, kind)
    if version is None:
        raise NoChampionError(kind)
    return version

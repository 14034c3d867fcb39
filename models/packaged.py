"""The MLflow pyfunc wrapper: one artifact per model that ``mlflow models serve`` can serve.

The pyfunc holds nothing but a ``ScoringModel`` loaded from its artifact folder and delegates to
``ScoringModel.predict``, so the served output is the evaluated output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow.pyfunc import PythonModel

from models.scoring import ScoringModel

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


def load_scoring_model(model_uri: str) -> ScoringModel:
    """Return the ``ScoringModel`` behind a logged pyfunc (e.g. ``models:/zonecredit-credit@champion``)."""
    return mlflow.pyfunc.load_model(model_uri).unwrap_python_model().model

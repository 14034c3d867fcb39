"""A credit, repair and activity model fitted once per session on hand-made panels."""

from __future__ import annotations

import pandas as pd
import pytest

from features.panel import split_out_of_time
from models.preprocess import FeatureSpec
from models.scoring import ScoringModel
from tests.worlds import synthetic_panel
from training.fit import fit_booster, scoring_model

PARAMS = {"learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 40}


def fitted(kind: str, seed: int = 0) -> tuple[ScoringModel, pd.DataFrame]:
    """Return a model fitted on a synthetic panel of ``kind`` and its out-of-time test rows."""
    train, valid, test = split_out_of_time(synthetic_panel(kind, n=600, seed=seed))
    spec = FeatureSpec.from_registry(kind)
    booster = fit_booster(kind, spec, train, valid, PARAMS, seed=seed)  # type: ignore[arg-type]
    return scoring_model(kind, spec, booster, train, valid), test  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def credit() -> tuple[ScoringModel, pd.DataFrame]:
    return fitted("credit")


@pytest.fixture(scope="session")
def repair() -> tuple[ScoringModel, pd.DataFrame]:
    return fitted("repair")


@pytest.fixture(scope="session")
def activity() -> tuple[ScoringModel, pd.DataFrame]:
    return fitted("activity")

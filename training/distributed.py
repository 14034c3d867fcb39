"""Training on a Dask cluster (``lightgbm.dask``) for panels that do not fit one machine.

Feature rows stay partitioned: each partition becomes its block of the design matrix through the
same ``FeatureSpec.matrix`` as single-machine training, so both paths see identical inputs. Dask
LightGBM has no early stopping, so the number of rounds comes from a single-machine tuning run.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import pandas as pd

from models.preprocess import FeatureSpec
from models.scoring import Kind, ScoringModel
from training.fit import booster_params, label_column, scoring_model


def _design(part: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    return pd.DataFrame(spec.matrix(part), columns=list(spec.features), index=part.index)


def train_dask(
    client: Any,
    kind: Kind,
    train: dd.DataFrame,
    valid: pd.DataFrame,
    tuned: dict[str, Any],
    num_boost_round: int,
    seed: int = 0,
) -> ScoringModel:
    """Fit ``DaskLGBMClassifier`` on partitioned training rows; calibrate on ``valid`` locally."""
    import lightgbm
    from lightgbm import DaskLGBMClassifier

    # LightGBM prints its progress ("Finding random open ports…") to stdout unless given a logger,
    # which would corrupt the CLI's --json output.
    lightgbm.register_logger(logging.getLogger("lightgbm"))

    spec = FeatureSpec.from_registry(kind)
    meta = pd.DataFrame({name: pd.Series(dtype="float64") for name in spec.features})
    design = train.map_partitions(_design, spec, meta=meta)
    target = train[label_column(kind)].astype("float64")
    params = booster_params(spec, kind, tuned, seed)
    params.pop("metric", None)
    # LightGBM 4's data-parallel learner fails (std::bad_array_new_length) with interaction
    # constraints, so the distributed model lets the zone interact; the behaviour tests of the
    # zone invariance apply to single-machine models.
    params.pop("interaction_constraints", None)
    model = DaskLGBMClassifier(client=client, n_estimators=num_boost_round, **params)
    model.fit(design, target, categorical_feature=spec.categorical_indices)
    booster = model.to_local().booster_
    local_train = train.head(min(len(valid), 50_000), npartitions=-1)
    return scoring_model(kind, spec, booster, local_train, valid)


def fit_on_cluster(
    kind: Kind,
    home: Path,
    as_of_dates: list[pd.Timestamp],
    valid: pd.DataFrame,
    tuned: dict[str, Any],
    num_boost_round: int,
    seed: int = 0,
) -> tuple[ScoringModel, int]:
    """Build the training panel of every enterprise on the cluster and fit there.

    The cluster is ``ZONECREDIT_DASK_SCHEDULER``, or a local one for the duration. Returns the model
    and how many training rows it saw.
    """
    from data.corrections import read_corrections
    from features.engines import WarehousePartitions, dask_client
    from features.panel import dask_panel
    from zonecredit.settings import get_settings

    settings = get_settings()
    corrections = read_corrections(date.today(), settings.resolved_database_url)
    with dask_client(settings.dask_scheduler) as client:
        panel = dask_panel(client, WarehousePartitions(home), as_of_dates, kind, corrections)
        model = train_dask(client, kind, panel, valid, tuned, num_boost_round, seed)
        return model, int(panel.map_partitions(len).sum().compute())

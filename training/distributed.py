"""Training on a Dask cluster (``lightgbm.dask``) for panels that do not fit one machine.

Each worker builds the panel rows of its partitions and keeps only their training block: the
design matrix from the same ``FeatureSpec.matrix`` as single-machine training, in float32, and the
label. A panel partition (text, dates, 185 float64 columns) is more than twice that block, and a
whole panel of a million enterprises does not fit the workers of one machine beside LightGBM's
copies. Dask LightGBM has no early stopping, so the number of rounds comes from a single-machine
tuning run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from features.engines import Partitions
from features.panel import partition_panel
from features.pointintime import as_timestamp
from models.preprocess import FeatureSpec
from models.scoring import Kind, ScoringModel
from training.fit import booster_params, label_column, scoring_model


def training_block(panel: pd.DataFrame, spec: FeatureSpec, label: str) -> tuple[pd.DataFrame, pd.Series]:
    """Return panel rows as the cluster keeps them: the float32 design matrix and the label.

    Float32 halves the matrix; LightGBM bins it into the same histograms, and a float64 value at
    prediction falls on the same side of every split threshold as its float32 rounding.
    """
    design = pd.DataFrame(spec.matrix(panel).astype(np.float32), columns=list(spec.features))
    return design, panel[label].astype(np.float32).reset_index(drop=True)


def partition_block(
    key: int,
    partitions: Partitions,
    as_of_dates: list[pd.Timestamp],
    kind: Kind,
    corrections: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Return the training block of one partition over every as-of date: one worker task."""
    panel = partition_panel(key, partitions, as_of_dates, kind, corrections)
    return training_block(panel, FeatureSpec.from_registry(kind), label_column(kind))


def dask_training_blocks(
    client: Any,
    partitions: Partitions,
    as_of_dates: Iterable[date],
    kind: Kind,
    corrections: pd.DataFrame | None = None,
) -> tuple[dd.DataFrame, dd.Series]:
    """Return the design matrix and label of every partition, built and kept on the workers."""
    spec = FeatureSpec.from_registry(kind)
    [corrections_future] = client.scatter([corrections], broadcast=True)
    blocks = client.map(
        partition_block,
        partitions.partition_keys(),
        partitions=partitions,
        as_of_dates=sorted({as_timestamp(d) for d in as_of_dates}),
        kind=kind,
        corrections=corrections_future,
        pure=False,
    )
    # Only the halves stay referenced: the scheduler frees each pair once both are taken out.
    designs, labels = client.map(itemgetter(0), blocks), client.map(itemgetter(1), blocks)
    meta = pd.DataFrame({name: pd.Series(dtype=np.float32) for name in spec.features})
    label_meta = pd.Series(dtype=np.float32, name=label_column(kind))
    return (
        dd.from_delayed(designs, meta=meta, verify_meta=False),
        dd.from_delayed(labels, meta=label_meta, verify_meta=False),
    )


def train_dask(
    client: Any,
    kind: Kind,
    design: dd.DataFrame,
    label: dd.Series,
    train_sample: pd.DataFrame,
    valid: pd.DataFrame,
    tuned: dict[str, Any],
    num_boost_round: int,
    seed: int = 0,
) -> ScoringModel:
    """Fit ``DaskLGBMClassifier`` on partitioned training blocks; calibrate on ``valid`` locally.

    ``train_sample`` (panel rows of the training period held in memory, e.g. the tuning sample)
    sets the reason wording and improvement targets, which need quantiles, not every row.
    """
    import lightgbm
    from lightgbm import DaskLGBMClassifier

    # LightGBM prints its progress ("Finding random open ports…") to stdout unless given a logger,
    # which would corrupt the CLI's --json output.
    lightgbm.register_logger(logging.getLogger("lightgbm"))

    spec = FeatureSpec.from_registry(kind)
    params = booster_params(spec, kind, tuned, seed)
    params.pop("metric", None)
    # LightGBM 4's data-parallel learner fails (std::bad_array_new_length) with interaction
    # constraints, so the distributed model lets the zone interact; the behaviour tests of the
    # zone invariance apply to single-machine models.
    params.pop("interaction_constraints", None)
    model = DaskLGBMClassifier(client=client, n_estimators=num_boost_round, **params)
    model.fit(design, label, categorical_feature=spec.categorical_indices)
    return scoring_model(kind, spec, model.to_local().booster_, train_sample, valid)


def fit_on_cluster(
    kind: Kind,
    home: Path,
    as_of_dates: list[pd.Timestamp],
    train_sample: pd.DataFrame,
    valid: pd.DataFrame,
    tuned: dict[str, Any],
    num_boost_round: int,
    seed: int = 0,
) -> tuple[ScoringModel, int]:
    """Build the training blocks of every enterprise on the cluster and fit there.

    The cluster is ``ZONECREDIT_DASK_SCHEDULER``, or a local one for the duration. Returns the model
    and how many training rows it saw.
    """
    from data.corrections import read_corrections
    from features.engines import WarehousePartitions, dask_client
    from zonecredit.settings import get_settings

    settings = get_settings()
    corrections = read_corrections(date.today(), settings.resolved_database_url)
    with dask_client(settings.dask_scheduler) as client:
        design, label = dask_training_blocks(
            client, WarehousePartitions(home), as_of_dates, kind, corrections
        )
        model = train_dask(client, kind, design, label, train_sample, valid, tuned, num_boost_round, seed)
        return model, int(label.map_partitions(len).sum().compute())

"""Dask training on two local workers reaches single-machine AUC on the same rows."""

from __future__ import annotations

import dask.dataframe as dd
import pytest

from features.panel import split_out_of_time
from models.preprocess import FeatureSpec
from tests.worlds import synthetic_panel
from training.distributed import train_dask, training_block
from training.fit import fit_booster, outcome, scoring_model
from training.metrics import score_metrics

pytestmark = pytest.mark.slow
PARAMS = {"learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 40}


def test_dask_auc_within_001_of_single_machine():
    from distributed import Client, LocalCluster

    train, valid, test = split_out_of_time(synthetic_panel("credit", n=1500, seed=3))
    spec = FeatureSpec.from_registry("credit")
    booster = fit_booster("credit", spec, train, valid, PARAMS, seed=0)
    single = scoring_model("credit", spec, booster, train, valid)
    y = outcome("credit", test)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        design, label = training_block(train, spec, "default_12m")
        distributed = train_dask(
            client,
            "credit",
            dd.from_pandas(design, npartitions=4),
            dd.from_pandas(label, npartitions=4),
            train,
            valid,
            PARAMS,
            booster.best_iteration,
            seed=0,
        )
    auc_single = score_metrics(y, single.probability(test))["auc"]
    auc_dask = score_metrics(y, distributed.probability(test))["auc"]
    assert abs(auc_dask - auc_single) <= 0.01, (auc_single, auc_dask)

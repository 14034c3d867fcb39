"""Tune on a sample, fit on every enterprise on a Dask LocalCluster: the CLI's ``--engine dask``."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from data.contracts import SOURCES
from data.ingest import ingest_files
from data.synth import generate_world
from features.engines import WarehousePartitions, dask_client
from features.panel import build_panel
from models.preprocess import FeatureSpec
from tests.worlds import SmallWorld
from training.distributed import dask_training_blocks, training_block
from training.panels import default_as_of_dates
from training.train import train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> SmallWorld:
    """A world in eight warehouse buckets, so a panel has several partitions to spread."""
    root = tmp_path_factory.mktemp("dask-pipeline")
    generate_world(root / "world", enterprises=500, months=48, seed=5)
    for source in SOURCES:
        ingest_files(source, [root / "world" / "sources" / source], root / "home", buckets=8)
    return SmallWorld(root / "home", root / "world" / "truth")


def _row_hashes(design: pd.DataFrame, label: pd.Series) -> list[int]:
    rows = design.assign(label=label.to_numpy())
    return sorted(pd.util.hash_pandas_object(rows, index=False).tolist())


def test_the_cluster_holds_the_training_rows_of_the_in_process_panel(world: SmallWorld, home: Path) -> None:
    home.mkdir(parents=True)  # its empty operational store holds the (no) corrections
    dates = default_as_of_dates(world.home, "credit", every_months=6)
    local = build_panel(world.home, dates, label="credit")
    partitions = WarehousePartitions(world.home, enterprises_per_partition=100)
    assert len(partitions.partition_keys()) > 1
    with dask_client() as client:
        design, label = dask_training_blocks(client, partitions, dates, "credit")
        assert design.npartitions == label.npartitions == len(partitions.partition_keys())
        distributed = design.compute(), label.compute()
    assert distributed[0].dtypes.eq(np.float32).all()
    expected = training_block(local, FeatureSpec.from_registry("credit"), "default_12m")
    assert _row_hashes(*distributed) == _row_hashes(*expected)  # the same rows, in partition order


def test_train_on_dask_fits_every_enterprise_and_logs_it(world: SmallWorld, home: Path) -> None:
    home.mkdir(parents=True)
    tracking = f"sqlite:///{home / 'mlflow.db'}"
    result = train(
        "credit",
        trials=2,
        home=world.home,
        tracking_uri=tracking,
        storage=f"sqlite:///{home / 'optuna.db'}",
        truth_dir=world.truth_dir,
        every_months=3,
        enterprise_fraction=0.5,
        engine="dask",
    )
    run = mlflow.MlflowClient(tracking).get_run(result.run_id)
    assert run.data.params["engine"] == "dask"
    assert int(run.data.params["rows_train_cluster"]) > int(run.data.params["rows_train"])
    assert result.metrics["test_auc"] > 0.7

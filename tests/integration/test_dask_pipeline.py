"""Tune on a sample, fit on every enterprise on a Dask LocalCluster: the CLI's ``--engine dask``."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest

from data.contracts import SOURCES
from data.ingest import ingest_files
from data.synth import generate_world
from features.engines import WarehousePartitions, dask_client
from features.panel import build_panel, dask_panel
from tests.worlds import SmallWorld
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


def test_the_distributed_panel_equals_the_in_process_one(world: SmallWorld, home: Path) -> None:
    home.mkdir(parents=True)  # its empty operational store holds the (no) corrections
    dates = default_as_of_dates(world.home, "credit", every_months=6)
    local = build_panel(world.home, dates, label="credit")
    partitions = WarehousePartitions(world.home, enterprises_per_partition=100)
    assert len(partitions.partition_keys()) > 1
    with dask_client() as client:
        frame = dask_panel(client, partitions, dates, "credit")
        assert frame.npartitions == len(partitions.partition_keys())
        distributed = frame.compute()
    distributed = distributed.sort_values(["as_of", "credit_code"], kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(distributed, local)


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

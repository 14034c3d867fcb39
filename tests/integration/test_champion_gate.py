"""The champion gate against a real MLflow SQLite store, and training stopped by signals.

A worse challenger is registered but not promoted, a better one is; SIGTERM mid-training ends
the run FAILED, SIGKILL leaves it RUNNING, and in both cases the champion alias stays put.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from tests.worlds import synthetic_panel
from training.evaluate import evaluate
from training.search_space import load_search_space
from training.train import TrainResult, train

pytestmark = pytest.mark.slow
NAME = "zonecredit-credit"
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Store:
    home: Path
    tracking_uri: str
    storage: str

    def train(self, panel: pd.DataFrame, seed: int = 0) -> TrainResult:
        return train(
            "credit",
            trials=1,
            panel=panel,
            home=self.home,
            tracking_uri=self.tracking_uri,
            storage=self.storage,
            seed=seed,
        )

    def champion(self) -> str:
        return str(MlflowClient(self.tracking_uri).get_model_version_by_alias(NAME, "champion").version)


def _store(root: Path) -> Store:
    return Store(root / "home", f"sqlite:///{root / 'mlflow.db'}", f"sqlite:///{root / 'optuna.db'}")


def _degraded(panel: pd.DataFrame) -> pd.DataFrame:
    """The same panel with training-period labels shuffled: same holdout, a much weaker model."""
    out = panel.copy()
    train_rows = out["as_of"] < out["as_of"].unique()[4]
    labels = out.loc[train_rows, "default_12m"].to_numpy()
    out.loc[train_rows, "default_12m"] = np.random.default_rng(0).permutation(labels)
    return out


@pytest.fixture(scope="module")
def champion_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = _store(tmp_path_factory.mktemp("gate"))
    assert store.train(synthetic_panel("credit", n=600)).promoted
    return store


def test_the_run_logs_the_search_space_version_with_its_params(champion_store):
    client = MlflowClient(champion_store.tracking_uri)
    run_id = client.get_model_version_by_alias(NAME, "champion").run_id
    params = client.get_run(run_id).data.params
    assert params["search_space_version"] == load_search_space().version
    assert params["lgb_bagging_freq"] == "1"  # the file's fixed parameter reaches the final fit
    assert {f"lgb_{name}" for name in load_search_space().params} <= set(params)


def test_worse_challenger_stays_challenger_and_better_one_is_promoted(tmp_path):
    store = _store(tmp_path)
    good = synthetic_panel("credit", n=600)
    first = store.train(_degraded(good))
    assert first.promoted and first.reason == "no champion yet"
    better = store.train(good)
    assert better.promoted, better.reason
    assert store.champion() == better.version
    worse = store.train(_degraded(good), seed=1)
    assert not worse.promoted and "below champion" in worse.reason
    client = MlflowClient(store.tracking_uri)
    assert store.champion() == better.version
    assert client.get_model_version(NAME, worse.version).tags["role"] == "challenger"
    assert client.get_model_version(NAME, better.version).tags["role"] == "champion"
    assert client.get_model_version(NAME, first.version).tags["role"] == "former-champion"
    table = evaluate(store.tracking_uri, kinds=("credit",))
    assert set(table["role"]) == {"model", "scorecard"}
    assert table.loc[table["champion"], "registered_version"].tolist() == [better.version]


TRAIN_FOREVER = """
import sys
from pathlib import Path
from tests.worlds import synthetic_panel
from training.train import train
train("credit", trials=10_000, timeout=600, panel=synthetic_panel("credit", n=600), seed=5,
      home=Path(sys.argv[1]), tracking_uri=sys.argv[2], storage=sys.argv[3])
"""


def _running_run(store: Store, known: set[str], deadline: float) -> str:
    client = MlflowClient(store.tracking_uri)
    experiment = client.get_experiment_by_name("zonecredit-credit")
    while time.monotonic() < deadline:
        runs = client.search_runs([experiment.experiment_id], "attributes.status = 'RUNNING'")
        fresh = [r.info.run_id for r in runs if r.info.run_id not in known]
        if fresh:
            return fresh[0]
        time.sleep(0.5)
    raise AssertionError("the training subprocess never started its MLflow run")


@pytest.mark.parametrize(
    ("signum", "final_status"), [(signal.SIGTERM, "FAILED"), (signal.SIGKILL, "RUNNING")]
)
def test_training_stopped_midway_leaves_the_champion(champion_store, signum, final_status):
    store = champion_store
    before = store.champion()
    client = MlflowClient(store.tracking_uri)
    experiment = client.get_experiment_by_name("zonecredit-credit")
    known = {r.info.run_id for r in client.search_runs([experiment.experiment_id])}
    process = subprocess.Popen(
        [sys.executable, "-c", TRAIN_FOREVER, str(store.home), store.tracking_uri, store.storage],
        cwd=REPO,
        env={**os.environ, "ZONECREDIT_HOME": str(store.home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        run_id = _running_run(store, known, time.monotonic() + 120)
        time.sleep(3)  # let the study get going
        assert process.poll() is None
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    assert client.get_run(run_id).info.status == final_status
    assert store.champion() == before

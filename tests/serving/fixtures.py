"""A scored world for API tests: a small warehouse, three tiny registered champions, a filled store.

Building it costs ~30 s, so it is built once per test session under pytest's base temp folder and
reused by every module (``served_world``); tests that change state use their own keys and codes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from zonecredit.settings import Settings, get_settings

AS_OF_DATES = (date(2024, 9, 30), date(2024, 10, 31))
PARAMS = {"learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 40}


@dataclass(frozen=True)
class ServedWorld:
    """Where the world lives and the settings that reach it."""

    root: Path
    home: Path
    tracking_uri: str

    def settings(self, database_url: str | None = None, **overrides: object) -> Settings:
        return Settings(
            home=self.home,
            database_url=database_url or f"sqlite:///{self.root / 'store.db'}",
            mlflow_tracking_uri=self.tracking_uri,
            key_cache_seconds=0,
            **overrides,  # type: ignore[arg-type]
        )


@contextlib.contextmanager
def settings_env(settings: Settings) -> Iterator[None]:
    """Make ``get_settings()`` return ``settings`` (library code reads it for defaults)."""
    names = {
        "ZONECREDIT_HOME": str(settings.home),
        "ZONECREDIT_DATABASE_URL": settings.resolved_database_url,
        "ZONECREDIT_MLFLOW_TRACKING_URI": settings.resolved_mlflow_tracking_uri,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in names.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()
    get_settings.cache_clear()


def fitted_model(kind: str, seed: int = 0, n: int = 400):  # -> ScoringModel
    """Return a small model of ``kind`` fitted on a hand-made panel (seconds, not minutes)."""
    from features.panel import split_out_of_time
    from models.preprocess import FeatureSpec
    from tests.worlds import synthetic_panel
    from training.fit import fit_booster, scoring_model

    train, valid, _ = split_out_of_time(synthetic_panel(kind, n=n, seed=seed))
    spec = FeatureSpec.from_registry(kind)
    booster = fit_booster(kind, spec, train, valid, PARAMS, seed=seed)  # type: ignore[arg-type]
    return scoring_model(kind, spec, booster, train, valid)  # type: ignore[arg-type]


def register_champion(tracking_uri: str, model, staging: Path) -> str:
    """Log ``model`` as a pyfunc, register it and point its ``champion`` alias at it; return the version."""
    import mlflow
    from mlflow import MlflowClient

    from models.packaged import log_pyfunc
    from tests.worlds import synthetic_panel
    from training.train import serving_rows

    mlflow.set_tracking_uri(tracking_uri)
    name = f"zonecredit-{model.kind}"
    if mlflow.get_experiment_by_name(name) is None:  # artifacts beside the registry, not in ./mlruns
        mlflow.create_experiment(name, artifact_location=(staging.parent / "artifacts").as_uri())
    mlflow.set_experiment(name)
    example = serving_rows(synthetic_panel(model.kind, n=5), model.spec)
    with mlflow.start_run(run_name=f"{model.kind}-test"):
        # the example gives the pyfunc a signature with params, so `mlflow models serve` takes top_reasons
        info = log_pyfunc(model, staging, input_example=example)
        version = str(mlflow.register_model(info.model_uri, model.name).version)
    MlflowClient(tracking_uri).set_registered_model_alias(model.name, "champion", version)
    return version


def build_served_world(root: Path) -> ServedWorld:
    """Generate, ingest, register champions, build features and score two months into SQLite."""
    from features.engines import build_features
    from serving.batch import score_all
    from serving.store import upgrade_database
    from tests.worlds import small_world

    world = small_world(root, enterprises=400, months=36, seed=7)
    served = ServedWorld(root, world.home, f"sqlite:///{root / 'mlflow.db'}")
    for kind in ("credit", "repair", "activity"):
        register_champion(served.tracking_uri, fitted_model(kind), root / f"staging-{kind}")
    settings = served.settings()
    upgrade_database(settings.resolved_database_url)
    with settings_env(settings):
        for as_of in AS_OF_DATES:
            build_features(as_of, served.home)
            score_all(as_of, settings)
    _copy_world(root, root / "pristine")  # what copies start from, whatever tests do to the world
    (root / "READY").write_text("ok")
    return served


def served_world(factory: pytest.TempPathFactory) -> ServedWorld:
    """Return the session's scored world, building it on first use."""
    root = factory.getbasetemp() / "served-world"
    if (root / "READY").exists():
        return ServedWorld(root, root / "home", f"sqlite:///{root / 'mlflow.db'}")
    root.mkdir(exist_ok=True)
    return build_served_world(root)


def _copy_world(source: Path, target: Path) -> None:
    """Copy a world's warehouse and store; the backup API, not a file copy: the store runs in WAL mode."""
    import shutil
    import sqlite3

    shutil.copytree(source / "home", target / "home")
    with (
        contextlib.closing(sqlite3.connect(source / "store.db")) as store,
        contextlib.closing(sqlite3.connect(target / "store.db")) as copy,
    ):
        store.backup(copy)


def empty_warehouse_settings(factory: pytest.TempPathFactory, name: str, **overrides: object) -> Settings:
    """Return settings over a new empty warehouse and store (migrated) beside the session's registry,
    for tests that load data and must not change the scored world."""
    from serving.store import upgrade_database

    root = factory.mktemp(name)
    settings = Settings(
        home=root / "home",
        database_url=f"sqlite:///{root / 'store.db'}",
        mlflow_tracking_uri=served_world(factory).tracking_uri,
        key_cache_seconds=0,
        warehouse_buckets=4,
        **overrides,  # type: ignore[arg-type]
    )
    upgrade_database(settings.resolved_database_url)
    return settings


def copied_world(factory: pytest.TempPathFactory, name: str, **overrides: object) -> Settings:
    """Return settings over a copy of the scored world as it was built (warehouse and store; the same
    registry), for tests that load data, write corrections or rerun month-end batches: a load
    rescores what it touches and re-adds the zone index at the live as-of, and neither those nor
    another test's corrections may reach the tests that read the scored world, or each other."""
    world = served_world(factory)
    root = factory.mktemp(name)
    _copy_world(world.root / "pristine", root)
    copy = ServedWorld(root, root / "home", world.tracking_uri)
    return copy.settings(warehouse_buckets=1, **overrides)  # one bucket, as the world was ingested


def some_codes(settings: Settings, zone: str | None = None, limit: int = 5) -> list[str]:
    """Return scored credit codes (of one zone), for tests to ask about."""
    import sqlalchemy as sa

    from serving.store import engine_for, latest_scores

    query = sa.select(latest_scores.c.credit_code).order_by(latest_scores.c.credit_code).limit(limit)
    if zone:
        query = query.where(latest_scores.c.zone == zone)
    with engine_for(settings.resolved_database_url).connect() as connection:
        return list(connection.execute(query).scalars())


def disputable_record(
    settings: Settings,
    zone: str,
    skip: int = 0,
    kinds: tuple[str, ...] = ("abnormal_operation", "commitment_breached", "admin_penalty"),
) -> tuple[str, str]:
    """Return (credit code, event id) of a listing, breach or penalty that is the only negative record
    in force for an enterprise scored in ``zone``, so that revoking it moves the score.

    ``kinds`` in order of preference: by default abnormal-operation listings first (they move a score
    most), then breached commitments and general or serious penalties. ``skip`` picks another
    enterprise, so that tests that uphold disputes on the shared world do not meet each other
    (tests on a ``copied_world`` start from the world as built).
    """
    from serving.queries import credit_records, record_status

    records = credit_records(some_codes(settings, zone, 100_000), settings.home)
    status = record_status(records, AS_OF_DATES[-1])  # as built: the same list whatever tests decided
    counting = status[status["status"].isin(["listed", "repairable", "waiting", "in_force"])]
    alone = counting[counting.groupby("credit_code")["event_id"].transform("size") == 1]
    preference = {kind: i for i, kind in enumerate(kinds)}
    listed = alone[alone["kind"].isin(list(kinds)) & (alone["severity"] != "minor")]
    listed = listed.assign(order=listed["kind"].map(preference)).sort_values(
        ["order", "credit_code"], ascending=[True, False]
    )
    assert len(listed) > skip, f"the small world has enough disputable records in {zone}"
    row = listed.iloc[skip]
    return str(row["credit_code"]), str(row["event_id"])


def frame_of_features(settings: Settings, as_of: date = AS_OF_DATES[-1]) -> pd.DataFrame:
    """Return the feature table the batch scored."""
    from features.engines import feature_path

    return pd.read_parquet(feature_path(settings.home, as_of) / "features.parquet")


@dataclass(frozen=True)
class Keys:
    """One key per role (an admin for teda only, one for hitech only) and their headers."""

    admin_teda: str
    admin_hitech: str
    analyst: str
    scorer: str

    @staticmethod
    def header(key: str, purpose: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {key}"}
        if purpose:
            headers["X-Purpose"] = purpose
        return headers


def make_keys(database_url: str) -> Keys:
    from serving.keys import create_key

    return Keys(
        admin_teda=create_key(database_url, "admin", ["teda"], "teda admin"),
        admin_hitech=create_key(database_url, "admin", ["hitech"], "hitech admin"),
        analyst=create_key(database_url, "analyst", name="analyst"),
        scorer=create_key(database_url, "scorer", name="grading service"),
    )


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(app: object) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

"""Hot reload: the credit champion alias moves while requests are in flight; none fails, and the
responses carry the new version once it is loaded."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from serving.keys import create_key
from tests.serving.fixtures import (
    fitted_model,
    frame_of_features,
    register_champion,
    running_server,
    served_world,
)


def _rows(settings, n: int = 20) -> list[dict]:
    features = frame_of_features(settings).head(n).astype(object)
    features = features.where(features.notna(), None)
    features["as_of"] = features["as_of"].astype(str)
    return features.to_dict(orient="records")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A registry of its own, so moving its alias leaves the shared world's champions alone."""
    root = tmp_path_factory.mktemp("reload")
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    for kind in ("credit", "repair", "activity"):
        register_champion(tracking_uri, fitted_model(kind), root / f"staging-{kind}")
    return tracking_uri, root


def test_alias_move_under_load_fails_no_request(tmp_path_factory, registry):
    from serving.app import create_app

    tracking_uri, root = registry
    world = served_world(tmp_path_factory)
    settings = world.settings(reload_interval_seconds=0.2).model_copy(
        update={"mlflow_tracking_uri": tracking_uri}
    )
    key = create_key(settings.resolved_database_url, "scorer", name="reload test")
    body = {"rows": _rows(settings)}
    seen: list[tuple[float, int, str | None]] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                response = http.post(
                    f"{base_url}/v1/scores", json=body, headers={"Authorization": f"Bearer {key}"}
                )
                version = response.json().get("model_version") if response.status_code == 200 else None
                seen.append((time.monotonic(), response.status_code, version))

    with running_server(create_app(settings)) as base_url:
        workers = [threading.Thread(target=hammer) for _ in range(3)]
        for worker in workers:
            worker.start()
        time.sleep(1.0)
        new_version = register_champion(
            tracking_uri, fitted_model("credit", seed=5), root / "staging-credit-2"
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(v == new_version for _, _, v in seen[-5:]):
            time.sleep(0.1)
        switched = time.monotonic()
        time.sleep(0.5)
        stop.set()
        for worker in workers:
            worker.join()
    assert new_version == "2"
    assert seen and all(status == 200 for _, status, _ in seen), {s for _, s, _ in seen}
    versions = [v for _, _, v in seen]
    assert versions[0] == "1" and "2" in versions
    # once the new version has been served, every response that began later carries it
    first_new = min(t for t, _, v in seen if v == "2")
    assert all(v == "2" for t, _, v in seen if t > switched and t > first_new + 0.5)

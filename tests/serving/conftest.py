"""Session fixtures: the scored world, keys per role, and an in-process client of the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.serving.fixtures import Keys, ServedWorld, make_keys, served_world
from zonecredit.settings import Settings


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> ServedWorld:
    return served_world(tmp_path_factory)


@pytest.fixture(scope="session")
def settings(world: ServedWorld) -> Settings:
    return world.settings()


@pytest.fixture(scope="session")
def keys(settings: Settings) -> Keys:
    return make_keys(settings.resolved_database_url)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    from serving.app import create_app

    with TestClient(create_app(settings, watch_champions=False)) as test_client:
        yield test_client

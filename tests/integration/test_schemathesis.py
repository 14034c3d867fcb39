"""Property-based requests from the OpenAPI schema against the live server: never a 5xx.

Bounded: a few dozen examples per operation, no deadline, so it runs in the normal suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from serving.keys import create_key
from tests.serving.fixtures import running_server, served_world

EXAMPLES = 30


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from serving.app import create_app

    app_settings = served_world(tmp_path_factory).settings()
    key = create_key(app_settings.resolved_database_url, "admin", ["teda", "hitech"], "schemathesis")
    with running_server(create_app(app_settings, watch_champions=False)) as base_url:
        yield base_url, key


def _server_errors(operation: schemathesis.APIOperation, base_url: str, key: str) -> list[str]:
    """Return the 5xx answers to generated requests for one operation."""
    failures: list[str] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def explore(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {key}"})
        if response.status_code >= 500:
            failures.append(f"{case.operation.label}: {response.status_code} {response.text[:300]}")

    explore()
    return failures


def test_no_server_errors_on_any_operation(live):
    base_url, key = live
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    failures = [f for operation in operations for f in _server_errors(operation, base_url, key)]
    assert not failures, "\n".join(failures[:10])

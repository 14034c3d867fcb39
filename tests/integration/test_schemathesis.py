"""Property-based requests from the OpenAPI schema against the live server: the schema is true.

Every generated answer goes through schemathesis' conformance checks: no 5xx, only documented status
codes and content types, bodies and headers matching their schemas, and schema-invalid requests
refused. ``positive_data_acceptance`` is left out on purpose: a credit code's check character, a
zone an admin may not see or a record that does not exist are refused with a documented 422/404
that no JSON schema can express. Bounded: a few dozen examples per operation, no deadline.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from serving.keys import create_key
from tests.serving.fixtures import running_server, served_world

EXAMPLES = 30
CONFORMANCE = (
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from serving.app import create_app

    app_settings = served_world(tmp_path_factory).settings()
    key = create_key(app_settings.resolved_database_url, "admin", ["teda", "hitech"], "schemathesis")
    with running_server(create_app(app_settings, watch_champions=False)) as base_url:
        yield base_url, key


def _nonconforming(operation: schemathesis.APIOperation, base_url: str, key: str) -> list[str]:
    """Return the conformance failures of generated requests for one operation."""
    failures: list[str] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def explore(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {key}"})
        for check in CONFORMANCE:
            try:
                case.validate_response(response, checks=[check])
            except Exception as exc:  # a FailureGroup naming what disagreed with the schema
                failures.append(f"{case.operation.label} [{check.__name__}]: {str(exc)[:400]}")

    explore()
    return failures


def test_every_operation_conforms_to_its_schema(live):
    base_url, key = live
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    failures = [f for operation in operations for f in _nonconforming(operation, base_url, key)]
    assert not failures, "\n".join(failures[:10])


def test_documented_examples_are_answered(live):
    base_url, key = live
    spec = httpx.get(f"{base_url}/openapi.json").json()
    examples = spec["paths"]["/v1/scores"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert set(examples) == {"codes", "rows", "columns"}
    for name, example in examples.items():
        response = httpx.post(
            f"{base_url}/v1/scores", json=example["value"], headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, (name, response.text)

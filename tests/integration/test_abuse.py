"""The abuse suite against a live server: oversized and compressed bodies, injection strings in every
parameter of every operation and dashboard page, and racing dispute decisions.

Malformed workbooks are the ingestion suite's (``tests/data``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pyarrow as pa
import pytest
import sqlalchemy as sa

from data.corrections import corrections
from serving.keys import create_key
from serving.store import engine_for
from tests.serving.fixtures import copied_world, disputable_record, running_server
from zonecredit.settings import Settings

INJECTIONS = (
    "' OR '1'='1' --",
    '"; DROP TABLE audit_log; --',
    "<script>alert(1)</script>",
    "{{7*7}}${7*7}",
    "../../../../etc/passwd",
    '=HYPERLINK("http://evil.example","y")',
    "\u202eevil\u0000nul",
    "%00%0d%0aSet-Cookie: x=y",
    "9" * 5_000,
)
DASHBOARD_PAGES = {
    "/": ("zone",),
    "/ranking": ("zone", "industry", "grade", "class", "warning", "sort", "page", "size"),
    "/ranking.csv": ("zone", "industry", "sort"),
    "/warnings": ("kind", "level", "zone", "page"),
    "/disputes": ("status", "page"),
    "/enterprises/{code}": ("purpose",),
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings, dict[str, str]]]:
    from serving.app import create_app

    # a copy: the suite files and decides disputes, which the scored world's readers must not see
    app_settings = copied_world(tmp_path_factory, "abuse", max_body_bytes=1 << 20)
    url = app_settings.resolved_database_url
    keys = {
        "admin": create_key(url, "admin", ["teda"], "abuse admin"),
        "analyst": create_key(url, "analyst", name="abuse analyst"),
        "auditor": create_key(url, "auditor", name="abuse auditor"),
    }
    with running_server(create_app(app_settings, watch_champions=False)) as base_url:
        yield base_url, app_settings, keys


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_oversized_bodies_are_refused_whole_or_streamed(live):
    base_url, _, keys = live
    big = b'{"credit_codes": [' + b'"91120116MA05T3K726",' * 60_000 + b'"x"]}'
    declared = httpx.post(
        f"{base_url}/v1/scores",
        content=big,
        headers={**_bearer(keys["analyst"]), "Content-Type": "application/json"},
    )
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        for _ in range(2_000):
            yield b" " * 1_024

    streamed = httpx.post(
        f"{base_url}/v1/scores",
        content=chunks(),
        headers={**_bearer(keys["analyst"]), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


def test_a_compressed_arrow_bomb_is_refused_before_inflating(live):
    base_url, _, keys = live
    table = pa.table({"credit_code": pa.array(["9" * 100_000] * 1_000)})  # 100 MB of text
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    body = sink.getvalue().to_pybytes()
    assert len(body) < 1 << 20, "small enough to pass the body limit"
    response = httpx.post(
        f"{base_url}/v1/scores",
        content=body,
        headers={**_bearer(keys["analyst"]), "Content-Type": "application/vnd.apache.arrow.stream"},
        timeout=30,
    )
    assert response.status_code == 415 and "compressed" in response.json()["detail"]


def _operations(base_url: str) -> Iterator[tuple[str, str, list[dict]]]:
    spec = httpx.get(f"{base_url}/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation.get("parameters", [])


class _AnyId(dict):
    """Path values for the operation under test; an id no test names (a report number, a draw) is 1."""

    def __missing__(self, key: str) -> str:
        return "1"


def test_injection_strings_in_every_api_parameter_get_a_4xx_or_an_answer(live, settings_code):
    base_url, _, keys = live
    known = {"credit_code": settings_code, "zone": "teda", "dispute_id": "1"}
    failures = []
    with httpx.Client(base_url=base_url, timeout=30) as api:
        for method, path, parameters in _operations(base_url):
            caller = keys["auditor"] if path == "/v1/audit" else keys["admin"]
            body = {"status": "under_review"} if method == "PATCH" else None
            for parameter, text in ((p, t) for p in parameters for t in INJECTIONS):
                where, name = parameter["in"], parameter["name"]
                values = _AnyId(known | ({name: quote(text, safe="")} if where == "path" else {}))
                url = path.format_map(values)
                params = {name: text} if where == "query" else {}
                headers = _bearer(caller) | ({name: text} if where == "header" and text.isprintable() else {})
                response = api.request(method, url, params=params, headers=headers, json=body)
                if response.status_code >= 500:
                    failures.append(f"{method} {path} {name}={text[:40]!r}: {response.status_code}")
    assert not failures, "\n".join(failures[:10])


@pytest.fixture(scope="module")
def settings_code(live) -> str:
    _, app_settings, _ = live
    return disputable_record(app_settings, "teda")[0]


def _signed_in(base_url: str, key: str) -> httpx.Client:
    browser = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
    form = browser.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    assert browser.post("/login", data={"key": key, "csrf": csrf}).status_code == 303
    return browser


def test_injection_strings_in_every_dashboard_parameter_are_escaped(live, settings_code):
    base_url, _, keys = live
    failures = []
    browser, auditor = _signed_in(base_url, keys["admin"]), _signed_in(base_url, keys["auditor"])
    try:
        pages = [(browser, path, names) for path, names in DASHBOARD_PAGES.items()]
        pages.append((auditor, "/audit", ("key_id", "role", "credit_code", "purpose", "action", "since")))
        pages.append((browser, "/login", ("next",)))
        for visitor, path, names in pages:
            for name in names:
                for text in INJECTIONS:
                    response = visitor.get(path.replace("{code}", settings_code), params={name: text})
                    if response.status_code >= 500 or "<script>alert" in response.text:
                        failures.append(f"{path}?{name}={text[:40]!r}: {response.status_code}")
                    location = response.headers.get("location", "")
                    if location and not location.startswith("/"):
                        failures.append(f"{path}?{name}: redirects off the site to {location}")
    finally:
        browser.close()
        auditor.close()
    assert not failures, "\n".join(failures[:10])


def test_racing_decisions_write_one_correction(live):
    base_url, app_settings, keys = live
    code, event_id = disputable_record(app_settings, "teda", skip=2)
    admin = _bearer(keys["admin"])
    filed = httpx.post(
        f"{base_url}/v1/disputes",
        json={
            "credit_code": code,
            "source": "credit_events",
            "record_key": {"event_id": event_id},
            "action": "revoke",
            "claim": "raced",
        },
        headers=admin,
    )
    assert filed.status_code == 201, filed.text
    dispute_id = filed.json()["dispute_id"]
    url = f"{base_url}/v1/disputes/{dispute_id}"
    assert httpx.patch(url, json={"status": "under_review"}, headers=admin).status_code == 200
    answers: list[int] = []
    start = threading.Barrier(6)

    def decide(status: str) -> None:
        start.wait()
        answers.append(
            httpx.patch(url, json={"status": status, "note": "race"}, headers=admin, timeout=60).status_code
        )

    racers = [threading.Thread(target=decide, args=("upheld" if i % 2 else "rejected",)) for i in range(6)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(answers) == [200, 409, 409, 409, 409, 409], answers
    with engine_for(app_settings.resolved_database_url).connect() as connection:
        written = connection.execute(
            sa.select(sa.func.count()).select_from(corrections).where(corrections.c.dispute_id == dispute_id)
        ).scalar_one()
    final = httpx.get(f"{base_url}/v1/disputes", params={"credit_code": code}, headers=admin).json()["items"][
        0
    ]
    assert written == (1 if final["status"] == "upheld" else 0)

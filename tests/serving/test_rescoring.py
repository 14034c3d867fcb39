"""Rescoring on arrival: a committed batch rescores the enterprises it touches, live, and only those."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from serving.app import create_app
from serving.rescore import live_as_of
from serving.store import engine_for, latest_scores, score_history, zone_activity
from serving.watch import poll_once
from tests.serving.fixtures import Keys, ServedWorld, copied_world, make_keys, settings_env
from tests.serving.test_dashboard import sign_in
from zonecredit.cli import app
from zonecredit.settings import Settings

HEADER = "记录编号,统一社会信用代码,记录类型,严重程度,决定日期,公示日期,修复日期,移出日期,决定部门,报送日期\n"


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A copy of the scored world (warehouse and store): these tests add batches and rescore."""
    return copied_world(tmp_path_factory, "rescoring")


@pytest.fixture(scope="module")
def own_keys(own: Settings) -> Keys:
    return make_keys(own.resolved_database_url)


def _scored(settings: Settings, *where: sa.ColumnElement[bool]) -> list[dict]:
    query = sa.select(latest_scores).where(*where).order_by(latest_scores.c.credit_code)
    with engine_for(settings.resolved_database_url).connect() as connection:
        return [dict(r) for r in connection.execute(query).mappings()]


def _listing(folder: Path, code: str, on: date, name: str) -> Path:
    """A CSV of one serious-dishonesty listing, as a department would send it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    day = f"{on:%Y-%m-%d}"
    path.write_text(
        HEADER + f"SD-{name}-{code},{code},serious_dishonesty,serious,{day},{day},,,市场监管局,{day}\n"
    )
    return path


def test_an_ingested_listing_shows_class_d_over_the_api_without_a_manual_command(
    own, own_keys, tmp_path, monkeypatch
):
    monkeypatch.setenv("ZONECREDIT_WAREHOUSE_BUCKETS", "1")
    month_end = _scored(own)[0]["as_of"]
    code = _scored(own, latest_scores.c.supervision_class != "D")[0]["credit_code"]
    listed_on = live_as_of(own.home) - timedelta(days=3)
    with TestClient(create_app(own, watch_champions=False)) as api:
        before = api.get(f"/v1/enterprises/{code}/score", headers=Keys.header(own_keys.scorer)).json()
        assert before["supervision_class"] != "D"
        with settings_env(own):
            result = CliRunner().invoke(
                app, ["data", "ingest", "credit_events", str(_listing(tmp_path, code, listed_on, "a.csv"))]
            )
        assert result.exit_code == 0, result.output
        assert "rescored 1 enterprises" in result.output
        after = api.get(f"/v1/enterprises/{code}/score", headers=Keys.header(own_keys.scorer)).json()
        profile = api.get(f"/v1/enterprises/{code}", headers=Keys.header(own_keys.admin_teda)).json()
        raised = api.get("/v1/alerts", headers=Keys.header(own_keys.analyst)).json()["items"]
        metrics = api.get("/metrics").text
        wrong = api.get("/v1/alerts?kind=rumour", headers=Keys.header(own_keys.analyst))
        visitor, _ = sign_in(api, own_keys.analyst, "/alerts")
        page = visitor.get("/alerts?kind=serious_record&lang=en").text
        other = visitor.get("/alerts?kind=dormancy&lang=en").text
    assert after["supervision_class"] == "D"
    assert after["as_of"] == f"{live_as_of(own.home):%Y-%m-%d}" and after["as_of"] > f"{month_end:%Y-%m-%d}"
    if "history" in profile:  # an admin of another zone sees no profile
        assert profile["history"][-1]["trigger"] == "batch"
    causes = {a["kind"]: a["cause_en"] for a in raised if a["credit_code"] == code}
    assert causes["serious_record"].startswith("new serious record (entries in force 0 → ")
    if before["supervision_class"] in ("A", "B"):
        assert causes["class_drop"] == f"supervision class fell {before['supervision_class']} → D"
    assert 'zonecredit_alerts_total{kind="serious_record"}' in metrics
    assert 'zonecredit_source_age_seconds{source="credit_events"}' in metrics
    assert wrong.status_code == 422
    assert code in page and "new serious record (entries in force 0 → " in page
    assert code not in other.split('id="alert-list"')[1]
    untouched = _scored(own, latest_scores.c.credit_code != code)
    assert {row["as_of"] for row in untouched} == {month_end}


def test_only_the_touched_enterprises_are_rescored_and_the_zone_index_is_re_added(own, tmp_path):
    codes = [row["credit_code"] for row in _scored(own)[10:13]]
    for i, code in enumerate(codes):
        _listing(tmp_path / "drop" / "credit_events", code, live_as_of(own.home), f"b{i}.csv")
    (tmp_path / "drop" / "tax").mkdir()
    (tmp_path / "drop" / "tax" / "empty.csv").write_text("")
    poll = poll_once(tmp_path / "drop", own, settle_seconds=0)
    assert sorted(b.status for b in poll.batches) == ["loaded", "loaded", "loaded", "rejected"]
    assert poll.rescore is not None and poll.rescore.enterprises == 3
    assert sorted((tmp_path / "drop" / "credit_events" / ".done").iterdir())
    assert (tmp_path / "drop" / "tax" / ".rejected" / "empty.csv.reason.txt").read_text().strip()
    live = live_as_of(own.home)
    with engine_for(own.resolved_database_url).connect() as connection:
        rescored = connection.execute(
            sa.select(score_history.c.credit_code).where(
                score_history.c.trigger == "batch", score_history.c.as_of == live
            )
        ).scalars()
        zones = connection.execute(
            sa.select(zone_activity.c.enterprises).where(zone_activity.c.month == live)
        ).scalars()
        assert set(codes) <= set(rescored)
        assert sum(zones) == len(_scored(own))  # every scored enterprise counted once in its zone
    assert all(
        row["supervision_class"] == "D" for row in _scored(own, latest_scores.c.credit_code.in_(codes))
    )


def test_no_rescore_leaves_the_scores_as_they_were(own, tmp_path, monkeypatch):
    monkeypatch.setenv("ZONECREDIT_WAREHOUSE_BUCKETS", "1")
    row = _scored(own, latest_scores.c.supervision_class != "D")[-1]
    with settings_env(own):
        result = CliRunner().invoke(
            app,
            [
                "data",
                "ingest",
                "credit_events",
                str(_listing(tmp_path, row["credit_code"], live_as_of(own.home), "c.csv")),
                "--no-rescore",
            ],
        )
    assert result.exit_code == 0, result.output
    assert _scored(own, latest_scores.c.credit_code == row["credit_code"]) == [row]


def test_the_live_as_of_of_batches_summarised_before_it_was_stated_is_read_from_the_footers(
    world: ServedWorld, tmp_path: Path
):
    import shutil

    import orjson

    from data.contracts import SOURCES
    from data.warehouse import BATCH_FILE, committed_batches, read_source

    home = tmp_path / "home"
    shutil.copytree(world.home, home)
    newest = max(read_source(source, home)["reported_on"].max() for source in SOURCES).date()
    assert live_as_of(home) == newest
    for source in SOURCES:
        for batch in committed_batches(source, home):
            summary = orjson.loads((batch / BATCH_FILE).read_bytes())
            assert summary["quality"].pop("newest_reported_on") is not None
            (batch / BATCH_FILE).write_bytes(orjson.dumps(summary))
    assert live_as_of(home) == newest

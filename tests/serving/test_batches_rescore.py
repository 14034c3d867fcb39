"""An upload a steward commits rescores the enterprises it touches, as ``data ingest`` does."""

from __future__ import annotations

from datetime import timedelta

import httpx
import sqlalchemy as sa

from serving.keys import create_key
from serving.rescore import live_as_of
from serving.store import engine_for, latest_scores
from tests.serving.fixtures import running_server
from tests.serving.test_rescoring import HEADER, own  # noqa: F401 (a copy of the scored world)
from zonecredit.settings import Settings


def test_a_committed_upload_rescores_what_it_touches_and_a_dry_run_nothing(own: Settings):  # noqa: F811
    from serving.app import create_app

    with engine_for(own.resolved_database_url).connect() as connection:
        rows = connection.execute(
            sa.select(latest_scores.c.credit_code, latest_scores.c.as_of)
            .where(latest_scores.c.supervision_class != "D")
            .order_by(latest_scores.c.credit_code)
        ).all()
    code, month_end = rows[0]
    day = f"{live_as_of(own.home) - timedelta(days=3):%Y-%m-%d}"
    listing = HEADER + f"SD-upload-{code},{code},serious_dishonesty,serious,{day},{day},,,市场监管局,{day}\n"
    steward = {"Authorization": f"Bearer {create_key(own.resolved_database_url, 'steward')}"}
    with running_server(create_app(own, watch_champions=False)) as base:
        files = {"file": ("listing.csv", listing.encode())}
        dry = httpx.post(
            f"{base}/v1/batches",
            headers=steward,
            files=files,
            data={"source": "credit_events", "dry_run": "1"},
        )
        loaded = httpx.post(
            f"{base}/v1/batches", headers=steward, files=files, data={"source": "credit_events"}, timeout=120
        )
    assert dry.status_code == 200 and dry.json()["rescore"] is None
    assert loaded.status_code == 201, loaded.text
    rescore = loaded.json()["rescore"]
    assert rescore["enterprises"] == 1 and rescore["trigger"] == "batch"
    with engine_for(own.resolved_database_url).connect() as connection:
        after = (
            connection.execute(sa.select(latest_scores).where(latest_scores.c.credit_code == code))
            .mappings()
            .one()
        )
    assert after["supervision_class"] == "D" and after["as_of"] > month_end

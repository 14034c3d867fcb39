"""score_all: what the batch writes, and that rerunning a month does not duplicate its history."""

from __future__ import annotations

import sqlalchemy as sa

from serving.batch import score_all
from serving.store import engine_for, latest_scores, score_history, zone_activity
from tests.serving.fixtures import AS_OF_DATES, settings_env


def _count(settings, table, *where) -> int:
    with engine_for(settings.resolved_database_url).connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_batch_fills_scores_history_and_zone_levels(settings):
    latest = _count(settings, latest_scores)
    assert latest > 300
    for as_of in AS_OF_DATES:
        assert _count(settings, score_history, score_history.c.as_of == as_of) > 300
    assert _count(settings, zone_activity) == 5 * len(AS_OF_DATES)


def test_rerunning_a_month_keeps_one_history_row_per_version(settings):
    as_of = AS_OF_DATES[0]
    before = _count(settings, score_history, score_history.c.as_of == as_of)
    with settings_env(settings):
        summary = score_all(as_of, settings)
        score_all(AS_OF_DATES[-1], settings)  # back to the latest month for the other tests
    assert summary.enterprises == before
    assert summary.model_versions == {"credit": "1", "repair": "1", "activity": "1"}
    assert _count(settings, score_history, score_history.c.as_of == as_of) == before

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


def test_a_month_end_batch_keeps_corrections_from_the_settings_it_is_given(tmp_path_factory):
    """score_all applies every correction of *its* store, decided after the as-of date too, and the
    cached feature table is recomputed for the new correction (the environment points elsewhere)."""
    import json
    from datetime import date

    from data.corrections import Correction, add_correction
    from features.engines import feature_key, feature_path, stored_feature_key
    from serving.batch import current_corrections_of
    from tests.serving.fixtures import copied_world, disputable_record

    copy = copied_world(tmp_path_factory, "month-end-correction")
    as_of = AS_OF_DATES[-1]
    code, event_id = disputable_record(copy, "teda")
    table = feature_path(copy.home, as_of) / "features.parquet"
    key_before = stored_feature_key(table)
    with engine_for(copy.resolved_database_url).connect() as connection:
        before = connection.execute(sa.select(latest_scores).where(latest_scores.c.credit_code == code)).one()
    revoke = Correction(
        "credit_events",
        code,
        {"event_id": event_id},
        "revoke",
        date.today(),
        "teda admin",
        "annulled on appeal",
    )
    add_correction(copy.resolved_database_url, revoke)
    score_all(as_of, copy)
    with engine_for(copy.resolved_database_url).connect() as connection:
        after = connection.execute(sa.select(latest_scores).where(latest_scores.c.credit_code == code)).one()
    assert after.pd != before.pd, "the revoked record no longer weighs on the month-end score"
    assert json.loads(after.public_json)["as_of"] == f"{as_of:%Y-%m-%d}"
    key_after = stored_feature_key(table)
    assert key_after != key_before, "the new correction invalidated the cached feature table"
    assert key_after == feature_key(copy.home, as_of, current_corrections_of(as_of, copy))

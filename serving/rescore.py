"""Rescoring on arrival: the enterprises a newly committed batch touches, or an upheld dispute.

``rescore_touched`` (called by ``zonecredit data ingest``, ``zonecredit data watch``, the upload
endpoint and the services' records) and ``rescore_enterprise`` (an upheld dispute) repeat the
month-end batch's steps (``serving.batch``) for those enterprises only. They are re-featured from
their records at the live as-of (``live_as_of``: the newest ``reported_on`` in the warehouse, the
latest date the data support), their warnings replaced and the zone index of that date re-added
from every enterprise's latest components (``enterprise_activity``). The API reads the store on
every request, so the new scores show at once; the history records which path wrote each row
(``trigger``).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa

from data.errors import NotReady
from features.compute import compute_features
from features.view import enterprise_records, registration_on
from models.activity import COMPONENTS
from serving.alerts import alert_rows
from serving.batch import (
    INSERT_CHUNK,
    TOP_CONTRIBUTIONS,
    Trigger,
    activity_components,
    current_corrections_of,
    enterprise_rows,
    frame_rows,
    insert_rows,
    score_frame,
    score_rows,
    warning_rows,
)
from serving.champions import Champions, load_champions
from serving.outputs import json_value, score_records
from serving.store import (
    alerts,
    engine_for,
    enterprise_activity,
    enterprises,
    latest_scores,
    score_history,
    upgrade_database,
    warnings,
    zone_activity,
)
from zonecredit.settings import Settings


def enterprises_features(
    credit_codes: Collection[str], as_of: date, settings: Settings, corrections: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return some enterprises' features on ``as_of`` recomputed from their records and corrections.

    Corrections apply even if decided after ``as_of`` (``features.view.current_corrections``): an
    upheld dispute finds a record wrong from the start, so the corrected view of the same as-of
    date is the one to score. ``corrections``: those already read for these enterprises.
    """
    codes = sorted(set(credit_codes))
    records = enterprise_records(settings.home, codes, lineage=False)
    if corrections is None:
        corrections = current_corrections_of(as_of, settings, codes)
    return compute_features(records, as_of, corrections)


@dataclass
class RescoreSummary:
    """What a rescore of some enterprises wrote, and their new public score records."""

    as_of: str
    trigger: str
    enterprises: int
    warnings: int
    alerts: int
    zones: int
    seconds: float
    scores: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "scores"}


def rescore_enterprises(
    credit_codes: Collection[str],
    as_of: date,
    settings: Settings,
    champions: Champions,
    trigger: Trigger,
    note: str | None = None,
) -> RescoreSummary:
    """Rescore these enterprises on ``as_of``: scores, history, warnings, and the zone index.

    Only their records are read. An enterprise no longer active (or not yet registered) on
    ``as_of`` leaves the current scores; the zone index of ``as_of`` is re-added from every
    enterprise's latest components, the touched ones replaced.
    """
    started = time.perf_counter()
    codes = sorted(set(credit_codes))
    corrections = current_corrections_of(as_of, settings, codes)
    records = enterprise_records(settings.home, codes, lineage=False)  # read once, for both
    features = compute_features(records, as_of, corrections)
    profiles = registration_on(records["registry"], as_of, corrections)
    features = features[(features["reg_is_active"] == 1) & features["credit_code"].isin(profiles.index)]
    features = features.reset_index(drop=True)
    credit, repair, activity = score_frame(features, champions)
    now = datetime.now().replace(microsecond=0)
    history, latest = score_rows(credit, profiles, champions.versions["credit"], now, trigger, note)
    warned = warning_rows(repair, activity, profiles, champions, settings.dormancy_threshold, now)
    components = activity_components(features, activity)
    raised: list[dict[str, Any]] = []
    with engine_for(settings.resolved_database_url).begin() as connection:
        for first in range(0, len(codes), INSERT_CHUNK):
            chunk = codes[first : first + INSERT_CHUNK]
            floor = settings.dormancy_threshold
            raised += _alerts(connection, chunk, latest, components, floor, trigger, now)
            for table in (latest_scores, enterprise_activity, enterprises):
                connection.execute(sa.delete(table).where(table.c.credit_code.in_(chunk)))
            connection.execute(
                warnings.update()
                .where(warnings.c.credit_code.in_(chunk), warnings.c.active.is_(True))
                .values(active=False)
            )
        insert_rows(connection, score_history, history)
        insert_rows(connection, latest_scores, latest)
        insert_rows(connection, warnings, warned)
        insert_rows(connection, enterprises, enterprise_rows(profiles, now))
        insert_rows(connection, enterprise_activity, frame_rows(components))
        insert_rows(connection, alerts, raised)
        levels = _live_zone_levels(connection, as_of, champions.versions["activity"], now)
    return RescoreSummary(
        as_of=f"{as_of:%Y-%m-%d}",
        trigger=trigger,
        enterprises=len(latest),
        warnings=len(warned),
        alerts=len(raised),
        zones=levels,
        seconds=round(time.perf_counter() - started, 3),
        scores={row["credit_code"]: orjson.loads(row["public_json"]) for row in latest},
    )


def _alerts(
    connection: sa.Connection,
    codes: list[str],
    latest: list[dict[str, Any]],
    components: pd.DataFrame,
    floor: float,
    trigger: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Return the alerts of these enterprises' new rows against their stored state before them."""
    before: dict[str, dict[str, Any]] = {}
    scored = sa.select(latest_scores.c.credit_code, latest_scores.c.supervision_class)
    for code, klass in connection.execute(scored.where(latest_scores.c.credit_code.in_(codes))):
        before.setdefault(code, {})["supervision_class"] = klass
    table = enterprise_activity.c
    stored = sa.select(table.credit_code, table.activity_score, table.serious_records)
    for code, score, serious in connection.execute(stored.where(table.credit_code.in_(codes))):
        before.setdefault(code, {}).update(activity_score=score, serious_records=serious)
    wanted = set(codes)
    state = components.set_index("credit_code")[["activity_score", "serious_records"]].to_dict("index")
    after = [{**row, **state[row["credit_code"]]} for row in latest if row["credit_code"] in wanted]
    return alert_rows(before, after, floor, trigger, now)


def _live_zone_levels(connection: sa.Connection, as_of: date, version: str, now: datetime) -> int:
    """Write the zone index of ``as_of`` summed from every enterprise's latest components."""
    table = enterprise_activity.c
    rows = connection.execute(
        sa.select(
            table.zone,
            sa.func.count().label("enterprises"),
            *(sa.func.sum(table[c]).label(c) for c in COMPONENTS),
            sa.func.avg(table.activity_score).label("mean_activity_score"),
        ).group_by(table.zone)
    ).mappings()
    levels = [dict(row) | {"month": as_of, "model_version": version, "computed_at": now} for row in rows]
    if levels:
        connection.execute(sa.delete(zone_activity).where(zone_activity.c.month == as_of))
        insert_rows(connection, zone_activity, levels)
    return len(levels)


def rescore_enterprise(
    credit_code: str, as_of: date, settings: Settings, champions: Champions, note: str
) -> dict[str, Any] | None:
    """Rescore one enterprise on ``as_of`` after an upheld dispute; return its new record."""
    summary = rescore_enterprises([credit_code], as_of, settings, champions, "dispute", note)
    return summary.scores.get(credit_code)


def live_as_of(home: Path) -> date:
    """Return the latest date the data support: the newest ``reported_on`` of any committed batch.

    Read from each batch's summary (its data-quality report states it), or for a batch ingested
    before the report did, from the Parquet footers (column statistics); never from the rows. Live
    scores are stated at this date; nothing reported later than it exists, so no score can claim
    to know more.
    """
    from data.contracts import SOURCES
    from data.warehouse import BATCH_FILE, committed_batches

    newest: list[date] = []
    for source in SOURCES:
        for batch in committed_batches(source, home):
            quality = orjson.loads((batch / BATCH_FILE).read_bytes()).get("quality") or {}
            if quality.get("newest_reported_on"):
                newest.append(date.fromisoformat(quality["newest_reported_on"]))
                continue
            for path in batch.glob("bucket=*.parquet"):
                metadata = pq.ParquetFile(path).metadata
                column = metadata.schema.names.index("reported_on")
                for group in range(metadata.num_row_groups):
                    statistics = metadata.row_group(group).column(column).statistics
                    if statistics is not None and statistics.has_min_max:
                        newest.append(pd.Timestamp(statistics.max).date())
    if not newest:
        raise NotReady(f"no committed batch under {home}: nothing to score")
    return max(newest)


def batch_credit_codes(source: str, batch_id: str, home: Path) -> list[str]:
    """Return the enterprises with records in one committed batch."""
    from data.warehouse import warehouse_dir

    folder = warehouse_dir(home) / source / f"batch={batch_id}"
    files = sorted(folder.glob("bucket=*.parquet"))
    codes: set[str] = set()
    for path in files:
        codes.update(pq.read_table(path, columns=["credit_code"]).column(0).unique().to_pylist())
    return sorted(codes)


def _has_scores(database_url: str) -> bool:
    if database_url.startswith("sqlite:///") and not Path(database_url.removeprefix("sqlite:///")).exists():
        return False
    engine = engine_for(database_url)
    if not sa.inspect(engine).has_table(latest_scores.name):
        return False
    with engine.connect() as connection:
        return connection.execute(sa.select(latest_scores.c.credit_code).limit(1)).first() is not None


def rescore_touched(
    batches: Iterable[Any], settings: Settings, champions: Champions | None = None
) -> RescoreSummary | None:
    """Rescore the enterprises that newly committed batches touch, at the live as-of.

    ``batches`` are ``data.ingest.BatchSummary`` values (an ingest report's, or the upload
    endpoint's); those not ``loaded`` touch nothing. Returns None when nothing was touched, or
    before the first month-end batch: until then there are no scores to keep current (the
    initial load of a warehouse is not rescored enterprise by enterprise).
    """
    loaded = [b for b in batches if b.status == "loaded"]
    codes = sorted({c for b in loaded for c in batch_credit_codes(b.source, b.batch_id, settings.home)})
    if not codes or not _has_scores(settings.resolved_database_url):
        return None
    upgrade_database(settings.resolved_database_url)
    champions = champions or load_champions(settings.resolved_mlflow_tracking_uri)
    note = "; ".join(f"{b.source} batch {b.batch_id}" for b in loaded)
    return rescore_enterprises(codes, live_as_of(settings.home), settings, champions, "batch", note)


def explain_enterprise(
    credit_code: str, as_of: date, settings: Settings, champions: Champions
) -> dict[str, Any] | None:
    """Return a fresh explanation of one enterprise's credit score: SHAP contributions and improvement.

    Features are recomputed from the records (corrections included), so the explanation matches a
    rescore; None when the enterprise has no features on ``as_of``.
    """
    features = enterprises_features([credit_code], as_of, settings)
    if features.empty:
        return None
    model = champions["credit"]
    output = model.predict(features, top_reasons=5, improvements=True)
    contributions = model.contributions(features)[0]
    order = np.argsort(-np.abs(contributions[:-1]))[:TOP_CONTRIBUTIONS]
    first = output.iloc[0]
    return {
        "score": score_records(output, champions.versions["credit"])[0],
        "expected_value": float(contributions[-1]),
        "contributions": [
            {
                "feature": model.spec.features[j],
                "value": json_value(features[model.spec.features[j]].iloc[0]),
                "contribution": round(float(contributions[j]), 5),
            }
            for j in order
        ],
        "improvement": {
            "zh": first["improvement_zh"],
            "en": first["improvement_en"],
            "pd": round(float(first["improvement_pd"]), 6),  # rounded as the score's PD is
            "grade": first["improvement_grade"],
            "reaches_next_grade": bool(first["improvement_reaches_next_grade"]),
        },
    }

"""``zonecredit score``: score every enterprise with the three champions and fill the store.

One pass per model over the whole feature table (vectorised ``predict``), then one bulk insert per
table inside one transaction, so the API sees the previous batch or the new one, never a mix.

``rescore_enterprises`` repeats the same steps for some enterprises only: those a newly committed
batch touches (``rescore_touched``, called by ``zonecredit data ingest``, ``zonecredit data watch``
and the upload endpoint) and the one an upheld dispute corrects (``rescore_enterprise``). They are
re-featured from their records at the live as-of (``live_as_of``: the newest ``reported_on`` in the
warehouse, the latest date the data support), their warnings replaced and the zone index of that
date re-added from every enterprise's latest components (``enterprise_activity``). The API reads
the store on every request, so the new scores show at once. Month-end runs (``score_all``) stay
the official monthly grades; the history records which of the three wrote each row (``trigger``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson
import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa

from models.activity import ACTIVITY_SCORE_COLUMN, COMPONENTS
from serving.alerts import alert_rows, serious_records
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
from zonecredit.settings import Settings, get_settings

INSERT_CHUNK = 5_000
TOP_REASONS = 3
TOP_CONTRIBUTIONS = 15
Trigger = Literal["month_end", "batch", "dispute"]


@dataclass
class BatchSummary:
    """What a scoring batch wrote."""

    as_of: str
    enterprises: int
    model_versions: dict[str, str]
    repair_warnings: dict[str, int] = field(default_factory=dict)
    dormancy_warnings: int = 0
    zones: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _feature_table(as_of: date, settings: Settings) -> pd.DataFrame:
    from features.engines import build_features, feature_path

    path = feature_path(settings.home, as_of) / "features.parquet"
    if not path.exists():
        path = build_features(as_of, settings.home)
    return pd.read_parquet(path)


def _profiles(as_of: date, settings: Settings, codes: Collection[str] | None = None) -> pd.DataFrame:
    """Return each enterprise's registration as known on ``as_of`` (latest status change)."""
    from data.warehouse import read_source

    registry = read_source("registry", settings.home, credit_codes=codes)
    stamp = pd.Timestamp(as_of)
    known = registry[(registry["reported_on"] <= stamp) & (registry["established_on"] <= stamp)]
    known = known.sort_values(["credit_code", "status_changed_on", "reported_on"], kind="stable")
    return known.drop_duplicates("credit_code", keep="last").set_index("credit_code")


def _day(values: pd.Series) -> list[date | None]:
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]


def _enterprise_rows(profiles: pd.DataFrame, now: datetime) -> list[dict[str, Any]]:
    frame = profiles.reset_index()
    capital = frame["registered_capital"].astype("float64")
    return [
        {
            "credit_code": code,
            "name": name,
            "zone": zone,
            "industry": industry,
            "entity_type": entity,
            "registered_capital": None if np.isnan(cap) else float(cap),
            "established_on": established,
            "status": status,
            "status_changed_on": changed,
            "legal_rep_id": None if pd.isna(rep) else str(rep),
            "updated_at": now,
        }
        for code, name, zone, industry, entity, cap, established, status, changed, rep in zip(
            frame["credit_code"].astype("object"),
            frame["name"].astype("object"),
            frame["zone"].astype("object"),
            frame["industry"].astype("object"),
            frame["entity_type"].astype("object"),
            capital.to_numpy(),
            _day(frame["established_on"]),
            frame["status"].astype("object"),
            _day(frame["status_changed_on"]),
            frame["legal_rep_id"].astype("object"),
            strict=True,
        )
    ]


def _score_rows(
    credit: pd.DataFrame,
    profiles: pd.DataFrame,
    version: str,
    now: datetime,
    trigger: str,
    note: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (history rows, latest rows) for a credit ``predict`` output."""
    records = score_records(credit, version, now)
    history, latest = [], []
    for record in records:
        profile = profiles.loc[record["credit_code"]]
        row = {
            "credit_code": record["credit_code"],
            "as_of": date.fromisoformat(record["as_of"]),
            "model": record["model"],
            "model_version": version,
            "model_fingerprint": record["model_fingerprint"],
            "feature_set_version": record["feature_set_version"],
            "pd": record["pd"],
            "score": record["score"],
            "grade": record["grade"],
            "supervision_class": record["supervision_class"],
            "override_reason_zh": record["override_reason_zh"],
            "override_reason_en": record["override_reason_en"],
            "reasons": orjson.dumps(record["reasons"]).decode(),
            "trigger": trigger,
            "note": note,
            "scored_at": now,
            "policy_version": record["policy_version"],
        }
        history.append(row)
        latest.append(
            row
            | {
                "zone": profile["zone"],
                "industry": profile["industry"],
                "name": profile["name"],
                "public_json": orjson.dumps(record).decode(),
            }
        )
    return history, latest


def _warning_rows(
    repair: pd.DataFrame,
    activity: pd.DataFrame,
    profiles: pd.DataFrame,
    champions: Champions,
    threshold: float,
    now: datetime,
) -> list[dict[str, Any]]:
    """Return repair warnings (red/amber with records behind them) and dormancy warnings."""
    rows: list[dict[str, Any]] = []
    flagged = repair[repair["warning_level"].isin(["red", "amber"]) & (repair["records_en"] != "")]
    for code, level, p, zh, en, as_of, model in zip(
        flagged["credit_code"].astype("object"),
        flagged["warning_level"],
        flagged["p_unrepaired"].to_numpy(np.float64),
        flagged["records_zh"],
        flagged["records_en"],
        _day(flagged["as_of"]),
        flagged["model"],
        strict=True,
    ):
        rows.append(
            {
                "credit_code": code,
                "kind": "repair",
                "level": level,
                "probability": float(p),
                "activity_score": None,
                "records_zh": zh,
                "records_en": en,
                "as_of": as_of,
                "model": model,
                "model_version": champions.versions["repair"],
            }
        )
    dormant = activity[activity[ACTIVITY_SCORE_COLUMN] < threshold]
    for code, score, p, as_of, model in zip(
        dormant["credit_code"].astype("object"),
        dormant[ACTIVITY_SCORE_COLUMN].to_numpy(np.float64),
        dormant["p_active"].to_numpy(np.float64),
        _day(dormant["as_of"]),
        dormant["model"],
        strict=True,
    ):
        rows.append(
            {
                "credit_code": code,
                "kind": "dormancy",
                "level": "red" if score < threshold / 2 else "amber",
                "probability": 1.0 - float(p),
                "activity_score": float(score),
                "records_zh": None,
                "records_en": None,
                "as_of": as_of,
                "model": model,
                "model_version": champions.versions["activity"],
            }
        )
    for row in rows:
        profile = profiles.loc[row["credit_code"]]
        row |= {
            "zone": profile["zone"],
            "industry": profile["industry"],
            "name": profile["name"],
            "active": True,
            "created_at": now,
        }
    return rows


def _components(features: pd.DataFrame, activity: pd.DataFrame) -> pd.DataFrame:
    """Return each enterprise's activity components (tax, employment, …) and activity score."""
    frame = pd.DataFrame(
        {
            "credit_code": features["credit_code"].astype("object").to_numpy(),
            "zone": features["reg_zone"].astype("str").to_numpy(),
            "as_of": _day(features["as_of"]),
        }
    )
    for component, columns in COMPONENTS.items():
        frame[component] = np.nansum(features[list(columns)].to_numpy(np.float64, na_value=np.nan), axis=1)
    frame["activity_score"] = activity[ACTIVITY_SCORE_COLUMN].to_numpy(np.float64)
    frame["serious_records"] = serious_records(features).to_numpy(np.float64)
    return frame


def _zone_levels(components: pd.DataFrame, month: date, version: str, now: datetime) -> list[dict]:
    """Return each zone's component levels for the month (the index is taken against the base month)."""
    levels = components.groupby("zone").agg(
        enterprises=("zone", "size"),
        **{c: (c, "sum") for c in COMPONENTS},
        mean_activity_score=("activity_score", "mean"),
    )
    return [
        {
            "zone": zone,
            "month": month,
            "enterprises": int(row["enterprises"]),
            **{c: float(row[c]) for c in COMPONENTS},
            "mean_activity_score": float(row["mean_activity_score"]),
            "model_version": version,
            "computed_at": now,
        }
        for zone, row in levels.iterrows()
    ]


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for first in range(0, len(rows), INSERT_CHUNK):
        connection.execute(table.insert(), rows[first : first + INSERT_CHUNK])


def score_frame(
    features: pd.DataFrame, champions: Champions, threads: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (credit, repair, activity) outputs for active enterprises' feature rows.

    A batch owns the machine and passes ``threads`` = its cores; the models are copied for it, so
    the API's stay single-threaded.
    """
    models = {
        kind: model if model.threads == threads else replace(model, threads=threads)
        for kind, model in champions.models.items()
    }
    credit = models["credit"].predict(features, top_reasons=TOP_REASONS)
    repair = models["repair"].predict(features, top_reasons=0)
    activity = models["activity"].predict(features, top_reasons=0)
    return credit, repair, activity


def score_all(
    as_of: date, settings: Settings | None = None, champions: Champions | None = None
) -> BatchSummary:
    """Score every enterprise active on ``as_of`` and write scores, warnings and zone levels."""
    started = time.perf_counter()
    settings = settings or get_settings()
    url = settings.resolved_database_url
    upgrade_database(url)
    champions = champions or load_champions(settings.resolved_mlflow_tracking_uri)
    features = _feature_table(as_of, settings)
    features = features[features["reg_is_active"] == 1].reset_index(drop=True)
    profiles = _profiles(as_of, settings)
    features = features[features["credit_code"].isin(profiles.index)].reset_index(drop=True)
    credit, repair, activity = score_frame(features, champions, threads=os.cpu_count() or 1)
    now = datetime.now().replace(microsecond=0)
    history, latest = _score_rows(credit, profiles, champions.versions["credit"], now, "month_end", None)
    warned = _warning_rows(repair, activity, profiles, champions, settings.dormancy_threshold, now)
    components = _components(features, activity)
    levels = _zone_levels(components, as_of, champions.versions["activity"], now)
    with engine_for(url).begin() as connection:
        connection.execute(sa.delete(enterprises))
        _insert(connection, enterprises, _enterprise_rows(profiles, now))
        connection.execute(
            sa.delete(score_history).where(
                score_history.c.as_of == as_of,
                score_history.c.model_version == champions.versions["credit"],
                score_history.c.trigger == "month_end",
            )
        )
        _insert(connection, score_history, history)
        connection.execute(sa.delete(latest_scores))
        _insert(connection, latest_scores, latest)
        connection.execute(warnings.update().where(warnings.c.active.is_(True)).values(active=False))
        _insert(connection, warnings, warned)
        connection.execute(sa.delete(zone_activity).where(zone_activity.c.month == as_of))
        _insert(connection, zone_activity, levels)
        connection.execute(sa.delete(enterprise_activity))
        _insert(connection, enterprise_activity, _rows(components))
    kinds = pd.Series([a["level"] for a in warned if a["kind"] == "repair"], dtype="object")
    return BatchSummary(
        as_of=f"{as_of:%Y-%m-%d}",
        enterprises=len(credit),
        model_versions={str(k): v for k, v in champions.versions.items()},
        repair_warnings={str(k): int(v) for k, v in kinds.value_counts().items()},
        dormancy_warnings=sum(1 for a in warned if a["kind"] == "dormancy"),
        zones=len(levels),
        seconds=round(time.perf_counter() - started, 2),
    )


def enterprises_features(credit_codes: Collection[str], as_of: date, settings: Settings) -> pd.DataFrame:
    """Return some enterprises' features on ``as_of`` recomputed from their records and corrections.

    Corrections are applied even if decided after ``as_of``: an upheld dispute finds a record
    wrong from the start, so the corrected view of the same as-of date is the one to score.
    """
    from data.contracts import SOURCES, arrow_schema, get_source
    from data.corrections import read_corrections
    from data.warehouse import bucket_count, bucket_of, read_source
    from features.compute import compute_features

    codes = sorted(set(credit_codes))
    buckets = np.unique(bucket_of(np.asarray(codes, dtype=object), bucket_count(settings.home))).tolist()
    unread = ("batch_id", "row_number")  # lineage the features never read (loaded_at breaks ties)
    records = {  # without them: a quarter less to decode in the large sources
        source: read_source(
            source,
            settings.home,
            buckets=buckets,
            columns=[c for c in arrow_schema(get_source(source)).names if c not in unread],
            credit_codes=codes,
        )
        for source in SOURCES
    }
    corrections = read_corrections(None, settings.resolved_database_url, codes)
    if len(corrections):
        stamp = pd.Timestamp(as_of)
        corrections["decided_on"] = corrections["decided_on"].where(corrections["decided_on"] <= stamp, stamp)
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
    features = enterprises_features(codes, as_of, settings)
    profiles = _profiles(as_of, settings, codes)
    features = features[(features["reg_is_active"] == 1) & features["credit_code"].isin(profiles.index)]
    features = features.reset_index(drop=True)
    credit, repair, activity = score_frame(features, champions)
    now = datetime.now().replace(microsecond=0)
    history, latest = _score_rows(credit, profiles, champions.versions["credit"], now, trigger, note)
    warned = _warning_rows(repair, activity, profiles, champions, settings.dormancy_threshold, now)
    components = _components(features, activity)
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
        _insert(connection, score_history, history)
        _insert(connection, latest_scores, latest)
        _insert(connection, warnings, warned)
        _insert(connection, enterprises, _enterprise_rows(profiles, now))
        _insert(connection, enterprise_activity, _rows(components))
        _insert(connection, alerts, raised)
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
        _insert(connection, zone_activity, levels)
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
        raise ValueError(f"no committed batch under {home}: nothing to score")
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

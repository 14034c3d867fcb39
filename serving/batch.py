"""``zonecredit score``: score every enterprise with the three champions and fill the store.

One pass per model over the whole feature table (vectorised ``predict``), then one bulk insert per
table inside one transaction, so the API sees the previous batch or the new one, never a mix.
``rescore_enterprise`` repeats the same steps for one enterprise after an upheld dispute.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa

from models.activity import ACTIVITY_SCORE_COLUMN, COMPONENTS
from serving.champions import Champions, load_champions
from serving.outputs import json_value, score_records
from serving.store import (
    engine_for,
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


def _profiles(as_of: date, settings: Settings, codes: list[str] | None = None) -> pd.DataFrame:
    """Return each enterprise's registration as known on ``as_of`` (latest status change)."""
    from data.warehouse import read_source

    registry = read_source("registry", settings.home)
    if codes is not None:
        registry = registry[registry["credit_code"].isin(codes)]
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


def _zone_levels(features: pd.DataFrame, activity: pd.DataFrame, version: str, now: datetime) -> list[dict]:
    """Return each zone's component levels for the month (the index is taken against the base month)."""
    frame = pd.DataFrame({"zone": features["reg_zone"].astype("str").to_numpy()})
    for component, columns in COMPONENTS.items():
        frame[component] = np.nansum(features[list(columns)].to_numpy(np.float64, na_value=np.nan), axis=1)
    frame["mean_activity_score"] = activity[ACTIVITY_SCORE_COLUMN].to_numpy(np.float64)
    levels = frame.groupby("zone").agg(
        enterprises=("zone", "size"),
        **{c: (c, "sum") for c in COMPONENTS},
        mean_activity_score=("mean_activity_score", "mean"),
    )
    month = pd.Timestamp(features["as_of"].iloc[0]).date()
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
    history, latest = _score_rows(credit, profiles, champions.versions["credit"], now, "batch", None)
    alerts = _warning_rows(repair, activity, profiles, champions, settings.dormancy_threshold, now)
    levels = _zone_levels(features, activity, champions.versions["activity"], now)
    with engine_for(url).begin() as connection:
        connection.execute(sa.delete(enterprises))
        _insert(connection, enterprises, _enterprise_rows(profiles, now))
        connection.execute(
            sa.delete(score_history).where(
                score_history.c.as_of == as_of,
                score_history.c.model_version == champions.versions["credit"],
                score_history.c.trigger == "batch",
            )
        )
        _insert(connection, score_history, history)
        connection.execute(sa.delete(latest_scores))
        _insert(connection, latest_scores, latest)
        connection.execute(warnings.update().where(warnings.c.active.is_(True)).values(active=False))
        _insert(connection, warnings, alerts)
        connection.execute(sa.delete(zone_activity).where(zone_activity.c.month == as_of))
        _insert(connection, zone_activity, levels)
    kinds = pd.Series([a["level"] for a in alerts if a["kind"] == "repair"], dtype="object")
    return BatchSummary(
        as_of=f"{as_of:%Y-%m-%d}",
        enterprises=len(credit),
        model_versions={str(k): v for k, v in champions.versions.items()},
        repair_warnings={str(k): int(v) for k, v in kinds.value_counts().items()},
        dormancy_warnings=sum(1 for a in alerts if a["kind"] == "dormancy"),
        zones=len(levels),
        seconds=round(time.perf_counter() - started, 2),
    )


def enterprise_features(credit_code: str, as_of: date, settings: Settings) -> pd.DataFrame:
    """Return one enterprise's features on ``as_of`` recomputed from its records and corrections.

    Corrections are applied even if decided after ``as_of``: an upheld dispute finds a record
    wrong from the start, so the corrected view of the same as-of date is the one to score.
    """
    from data.corrections import read_corrections
    from data.warehouse import bucket_count, bucket_of, read_partition
    from features.compute import compute_features

    bucket = int(bucket_of(np.asarray([credit_code], dtype=object), bucket_count(settings.home))[0])
    records = {
        name: frame[frame["credit_code"] == credit_code].reset_index(drop=True)
        for name, frame in read_partition(bucket, settings.home).items()
    }
    corrections = read_corrections(None, settings.resolved_database_url, [credit_code])
    if len(corrections):
        stamp = pd.Timestamp(as_of)
        corrections["decided_on"] = corrections["decided_on"].where(corrections["decided_on"] <= stamp, stamp)
    return compute_features(records, as_of, corrections)


def rescore_enterprise(
    credit_code: str, as_of: date, settings: Settings, champions: Champions, note: str
) -> dict[str, Any] | None:
    """Rescore one enterprise on ``as_of`` (history row with ``note``); return its new record."""
    features = enterprise_features(credit_code, as_of, settings)
    if features.empty:
        return None
    profiles = _profiles(as_of, settings, [credit_code])
    credit, repair, activity = score_frame(features, champions)
    now = datetime.now().replace(microsecond=0)
    history, latest = _score_rows(credit, profiles, champions.versions["credit"], now, "dispute", note)
    alerts = _warning_rows(repair, activity, profiles, champions, settings.dormancy_threshold, now)
    with engine_for(settings.resolved_database_url).begin() as connection:
        _insert(connection, score_history, history)
        connection.execute(sa.delete(latest_scores).where(latest_scores.c.credit_code == credit_code))
        _insert(connection, latest_scores, latest)
        connection.execute(
            warnings.update()
            .where(warnings.c.credit_code == credit_code, warnings.c.active.is_(True))
            .values(active=False)
        )
        _insert(connection, warnings, alerts)
    return orjson.loads(latest[0]["public_json"])


def explain_enterprise(
    credit_code: str, as_of: date, settings: Settings, champions: Champions
) -> dict[str, Any] | None:
    """Return a fresh explanation of one enterprise's credit score: SHAP contributions and improvement.

    Features are recomputed from the records (corrections included), so the explanation matches a
    rescore; None when the enterprise has no features on ``as_of``.
    """
    features = enterprise_features(credit_code, as_of, settings)
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
            "pd": float(first["improvement_pd"]),
            "grade": first["improvement_grade"],
            "reaches_next_grade": bool(first["improvement_reaches_next_grade"]),
        },
    }

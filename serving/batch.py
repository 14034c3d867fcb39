"""``zonecredit score``: score every enterprise with the three champions and fill the store.

One pass per model over the whole feature table (vectorised ``predict``), then one bulk insert per
table inside one transaction, so the API sees the previous batch or the new one, never a mix.
Month-end runs (``score_all``) are the official monthly grades. The rows, warnings and zone levels
built here are shared with ``serving.rescore``, which repeats the same steps for some enterprises
when their data arrive or a dispute corrects them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa

from models.activity import ACTIVITY_SCORE_COLUMN, COMPONENTS
from serving.alerts import serious_records
from serving.champions import Champions, load_champions
from serving.outputs import score_records
from serving.store import (
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


def current_corrections_of(
    as_of: date, settings: Settings, codes: Collection[str] | None = None
) -> pd.DataFrame:
    """Return the corrections a current score applies: every one decided so far (``features.view``)."""
    from data.corrections import read_corrections
    from features.view import current_corrections

    found = read_corrections(None, settings.resolved_database_url, None if codes is None else sorted(codes))
    return current_corrections(found, as_of)


def _feature_table(as_of: date, settings: Settings, corrections: pd.DataFrame) -> pd.DataFrame:
    """Return the feature table of ``as_of``, reused only if computed from the same inputs."""
    from features.engines import cached_features

    return pd.read_parquet(cached_features(as_of, settings.home, corrections))


def profiles_on(
    as_of: date, settings: Settings, corrections: pd.DataFrame, codes: Collection[str] | None = None
) -> pd.DataFrame:
    """Return each enterprise's registration as known on ``as_of`` (``features.view.registration_on``)."""
    from data.warehouse import read_source
    from features.view import registration_on

    return registration_on(read_source("registry", settings.home, credit_codes=codes), as_of, corrections)


def _day(values: pd.Series) -> list[date | None]:
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]


def enterprise_rows(profiles: pd.DataFrame, now: datetime) -> list[dict[str, Any]]:
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


def score_rows(
    credit: pd.DataFrame,
    profiles: pd.DataFrame,
    version: str,
    now: datetime,
    trigger: str,
    note: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (history rows, latest rows) for a credit ``predict`` output."""
    records = score_records(credit, version, now)
    # one dict look-up a row, not a ``.loc`` (which costs more than the rest of the row at 1M)
    columns = (profiles["zone"], profiles["industry"], profiles["name"])
    identity = dict(zip(profiles.index, zip(*columns, strict=True), strict=True))
    history, latest = [], []
    for record in records:
        zone, industry, name = identity[record["credit_code"]]
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
                "zone": zone,
                "industry": industry,
                "name": name,
                "public_json": orjson.dumps(record).decode(),
            }
        )
    return history, latest


def warning_rows(
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


def activity_components(features: pd.DataFrame, activity: pd.DataFrame) -> pd.DataFrame:
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


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
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
    corrections = current_corrections_of(as_of, settings)
    features = _feature_table(as_of, settings, corrections)
    features = features[features["reg_is_active"] == 1].reset_index(drop=True)
    profiles = profiles_on(as_of, settings, corrections)
    features = features[features["credit_code"].isin(profiles.index)].reset_index(drop=True)
    credit, repair, activity = score_frame(features, champions, threads=os.cpu_count() or 1)
    now = datetime.now().replace(microsecond=0)
    history, latest = score_rows(credit, profiles, champions.versions["credit"], now, "month_end", None)
    warned = warning_rows(repair, activity, profiles, champions, settings.dormancy_threshold, now)
    components = activity_components(features, activity)
    levels = _zone_levels(components, as_of, champions.versions["activity"], now)
    with engine_for(url).begin() as connection:
        connection.execute(sa.delete(enterprises))
        insert_rows(connection, enterprises, enterprise_rows(profiles, now))
        connection.execute(
            sa.delete(score_history).where(
                score_history.c.as_of == as_of,
                score_history.c.model_version == champions.versions["credit"],
                score_history.c.trigger == "month_end",
            )
        )
        insert_rows(connection, score_history, history)
        connection.execute(sa.delete(latest_scores))
        insert_rows(connection, latest_scores, latest)
        connection.execute(warnings.update().where(warnings.c.active.is_(True)).values(active=False))
        insert_rows(connection, warnings, warned)
        connection.execute(sa.delete(zone_activity).where(zone_activity.c.month == as_of))
        insert_rows(connection, zone_activity, levels)
        connection.execute(sa.delete(enterprise_activity))
        insert_rows(connection, enterprise_activity, frame_rows(components))
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

"""Alerts: what a rescore on arrival saw change that a supervisor should look at, with the cause.

Three causes, each judged against the enterprise's previous stored state (its latest score and
activity components before the rescore): a serious record newly in force (serious dishonest
records, serious-dishonesty listing, judgment defaulter), a supervision class falling by two or more
(A → C, B → D), and an activity score falling below the dormancy floor. ``AlertMetrics`` exposes
the alerts written and each source's data freshness (age of its newest committed batch) to
Prometheus, read at scrape time so a CLI or watcher process's rescores count as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from models.scale import CLASSES
from serving.store import alerts, engine_for

KINDS = ("serious_record", "class_drop", "dormancy")
SERIOUS_COLUMNS = (
    "ce_active_unrepaired_serious",
    "ce_active_serious_dishonesty",
    "ce_active_judgment_defaulter",
)


def serious_records(features: pd.DataFrame) -> pd.Series:
    """Return each row's entries in the serious registers (a listing counts in each it is in)."""
    present = [c for c in SERIOUS_COLUMNS if c in features]
    return features[present].fillna(0).sum(axis=1) if present else pd.Series(0.0, index=features.index)


def alert_rows(
    before: dict[str, dict[str, Any]],
    after: list[dict[str, Any]],
    floor: float,
    trigger: str,
    now: datetime,
) -> list[dict[str, Any]]:
    """Return the alerts for rescored enterprises: ``after`` rows against their ``before`` state.

    Each row (before and after) holds ``supervision_class``, ``activity_score`` and
    ``serious_records``; an enterprise seen for the first time raises nothing but a serious record.
    """
    rank = {klass: i for i, klass in enumerate(CLASSES)}
    rows = []
    for new in after:
        old = before.get(new["credit_code"], {})
        causes = []
        if new["serious_records"] > old.get("serious_records", 0.0):
            change = f"{int(old.get('serious_records', 0))} → {int(new['serious_records'])}"
            causes.append(
                (
                    "serious_record",
                    f"新增严重失信记录（在效登记数 {change}）",
                    f"new serious record (entries in force {change})",
                )
            )
        if (
            old.get("supervision_class")
            and rank[new["supervision_class"]] - rank[old["supervision_class"]] >= 2
        ):
            change = f"{old['supervision_class']} → {new['supervision_class']}"
            causes.append(("class_drop", f"监管类别下降：{change}", f"supervision class fell {change}"))
        if "activity_score" in old and old["activity_score"] >= floor > new["activity_score"]:
            change = f"{old['activity_score']:.1f} → {new['activity_score']:.1f}"
            causes.append(
                (
                    "dormancy",
                    f"活跃度低于休眠线{floor:g}：{change}",
                    f"activity below the dormancy floor {floor:g}: {change}",
                )
            )
        rows += [
            {
                "credit_code": new["credit_code"],
                "zone": new["zone"],
                "name": new["name"],
                "kind": kind,
                "cause_zh": zh,
                "cause_en": en,
                "as_of": new["as_of"],
                "trigger": trigger,
                "created_at": now,
            }
            for kind, zh, en in causes
        ]
    return rows


def alert_page(
    connection: sa.Connection, zones: frozenset[str] | None, kind: str | None, zone: str | None, limit: int
) -> list[dict[str, Any]]:
    """Return the newest alerts, optionally of one kind or zone, within the caller's zones."""
    query = sa.select(alerts).order_by(alerts.c.created_at.desc(), alerts.c.alert_id.desc()).limit(limit)
    if zones is not None:
        query = query.where(alerts.c.zone.in_(sorted(zones)))
    if kind is not None:
        query = query.where(alerts.c.kind == kind)
    if zone is not None:
        query = query.where(alerts.c.zone == zone)
    return [dict(row) for row in connection.execute(query).mappings()]


class AlertMetrics(Collector):
    """``zonecredit_alerts_total{kind}`` and ``zonecredit_source_age_seconds{source}``, at scrape time."""

    def __init__(self, database_url: str, home: Path) -> None:
        self.database_url = database_url
        self.home = home

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        from data.warehouse import batch_summaries

        counted = CounterMetricFamily("zonecredit_alerts", "Alerts written, by cause", labels=["kind"])
        with engine_for(self.database_url).connect() as connection:
            found: dict[str, int] = dict(
                connection.execute(sa.select(alerts.c.kind, sa.func.count()).group_by(alerts.c.kind)).all()
            )
        for kind in KINDS:
            counted.add_metric([kind], float(found.get(kind, 0)))
        yield counted
        age = GaugeMetricFamily(
            "zonecredit_source_age_seconds",
            "Seconds since the newest committed batch, by source",
            labels=["source"],
        )
        newest: dict[str, datetime] = {}
        for summary in batch_summaries(self.home):
            loaded = datetime.fromisoformat(summary["loaded_at"])
            newest[summary["source"]] = max(loaded, newest.get(summary["source"], loaded))
        now = datetime.now()
        for source, loaded in sorted(newest.items()):
            age.add_metric([source], (now - loaded).total_seconds())
        yield age

"""Reads shared by the JSON API and the dashboard: one function per question, one zone scoping.

Every function takes the caller's ``Principal`` and limits what it reads to the caller's zones, so
the API and the dashboard cannot drift apart on who sees what. Auditing stays with the callers
(they know the action and the purpose); these functions only read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import orjson
import pandas as pd
import sqlalchemy as sa

from data.contracts import SOURCES, ZONES
from data.quality import quality_rows
from models.activity import COMPONENTS
from serving.errors import ApiError, not_found, valid_code
from serving.keys import Principal
from serving.outputs import activity_index, frame_records, json_value
from serving.store import enterprises, latest_scores, score_history, warnings, zone_activity
from zonecredit.settings import Settings

Sort = Literal["-score", "score", "pd", "-pd", "name", "credit_code"]
WarningFilter = Literal["any", "repair", "dormancy"]
GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
CLASSES = ("A", "B", "C", "D")
SORTS: tuple[Sort, ...] = ("-score", "score", "pd", "-pd", "name", "credit_code")
WARNING_KINDS = ("repair", "dormancy")
WARNING_LEVELS = ("red", "amber")
# Descending orders break ties by descending credit code: then one index (column, credit_code) serves
# both directions, walked forwards or backwards (migration 0002).
_ORDER = {
    "-score": (latest_scores.c.score.desc(), latest_scores.c.credit_code.desc()),
    "score": (latest_scores.c.score, latest_scores.c.credit_code),
    "pd": (latest_scores.c.pd, latest_scores.c.credit_code),
    "-pd": (latest_scores.c.pd.desc(), latest_scores.c.credit_code.desc()),
    "name": (latest_scores.c.name, latest_scores.c.credit_code),
    "credit_code": (latest_scores.c.credit_code,),
}
RANKING_COLUMNS = (
    "credit_code",
    "name",
    "zone",
    "industry",
    "score",
    "pd",
    "grade",
    "supervision_class",
    "as_of",
    "model_version",
)
RECORD_COLUMNS = [
    "event_id",
    "kind",
    "severity",
    "occurred_on",
    "published_on",
    "repaired_on",
    "removed_on",
    "department",
    "reported_on",
]
# What ``features.view.records_on`` adds to each credit record.
STATUS_COLUMNS = ["correction", "status", "shown_from", "shown_until", "repairable_from", "days_unrepaired"]
# Roles that work with an enterprise's legal representative (supervision in their own zones).
UNMASKED_ROLES = frozenset({"admin"})


def zone_condition(principal: Principal, column: sa.ColumnElement) -> sa.ColumnElement[bool] | None:
    """Return the SQL condition limiting ``column`` to the caller's zones (None = every zone)."""
    return None if principal.zones is None else column.in_(sorted(principal.zones))


def visible_zone(zone: str | None, principal: Principal) -> None:
    """Refuse an unknown zone (422) and, like an unknown one, a zone outside the key's scope (404)."""
    if zone is None:
        return
    if zone not in ZONES:
        raise ApiError(422, f"unknown zone {zone!r}; zones are {', '.join(ZONES)}")
    if not principal.sees_zone(zone):
        raise ApiError(404, f"zone {zone} not found")


def visible_zones(principal: Principal) -> list[str]:
    """Return the zones the caller may see, in the SPEC's order."""
    return [z for z in ZONES if principal.sees_zone(z)]


def scored_enterprise(connection: sa.Connection, principal: Principal, credit_code: str) -> sa.RowMapping:
    """Return the latest-score row of a visible enterprise, or raise 404 (also for other zones)."""
    valid_code(credit_code)
    row = (
        connection.execute(sa.select(latest_scores).where(latest_scores.c.credit_code == credit_code))
        .mappings()
        .one_or_none()
    )
    if row is None or not principal.sees_zone(row["zone"]):
        raise not_found(credit_code)
    return row


def mask_personal_id(value: str | None, principal: Principal) -> str | None:
    """Return an ID number as is for roles that need it, else only its first 6 and last 4 characters."""
    if value is None or principal.role in UNMASKED_ROLES:
        return value
    return masked_id(value)


def masked_id(value: str) -> str:
    """Return an ID number with only its first 6 and last 4 characters shown (all hidden if short)."""
    keep = 6 if len(value) > 10 else 0
    tail = 4 if len(value) > 10 else 0
    return value[:keep] + "*" * (len(value) - keep - tail) + (value[-tail:] if tail else "")


def present(*conditions: sa.ColumnElement[bool] | None) -> list[sa.ColumnElement[bool]]:
    """Return the conditions that apply (a filter left unset gives None)."""
    return [c for c in conditions if c is not None]


def table_page(
    connection: sa.Connection,
    table: sa.Table,
    conditions: list[sa.ColumnElement[bool]],
    order: tuple[sa.ColumnElement, ...],
    limit: int,
    offset: int,
) -> tuple[int, list[sa.RowMapping]]:
    """Return (matching total, one page of whole rows) of ``table``."""
    total = connection.execute(sa.select(sa.func.count()).select_from(table).where(*conditions)).scalar_one()
    rows = connection.execute(
        sa.select(table).where(*conditions).order_by(*order).limit(limit).offset(offset)
    ).mappings()
    return total, list(rows)


@dataclass(frozen=True)
class RankingFilter:
    """What a ranking is narrowed to; ``warning`` keeps enterprises with an active warning of that kind."""

    zone: str | None = None
    industry: str | None = None
    grade: str | None = None
    supervision_class: str | None = None
    warning: WarningFilter | None = None

    def conditions(self, principal: Principal) -> list[sa.ColumnElement[bool]]:
        """Return the WHERE conditions on ``latest_scores`` for ``principal`` (zone checked first)."""
        visible_zone(self.zone, principal)
        warned = None
        if self.warning is not None:
            active = sa.select(warnings.c.credit_code).where(warnings.c.active.is_(True))
            if self.warning != "any":
                active = active.where(warnings.c.kind == self.warning)
            warned = latest_scores.c.credit_code.in_(active)
        return present(
            zone_condition(principal, latest_scores.c.zone),
            latest_scores.c.zone == self.zone if self.zone else None,
            latest_scores.c.industry == self.industry if self.industry else None,
            latest_scores.c.grade == self.grade if self.grade else None,
            latest_scores.c.supervision_class == self.supervision_class if self.supervision_class else None,
            warned,
        )


def _ranking_select(conditions: list[sa.ColumnElement[bool]], sort: Sort) -> sa.Select:
    columns = [latest_scores.c[name] for name in RANKING_COLUMNS]
    return sa.select(*columns).where(*conditions).order_by(*_ORDER[sort])


def ranking_page(
    connection: sa.Connection,
    principal: Principal,
    ranking: RankingFilter,
    sort: Sort = "-score",
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Return (matching total, one page of ranked enterprises) of the caller's zones.

    The page's credit codes are found first from the ordering index alone, then only those rows
    are read: a deep offset skips index entries rather than whole rows.
    """
    conditions = ranking.conditions(principal)
    total = connection.execute(
        sa.select(sa.func.count()).select_from(latest_scores).where(*conditions)
    ).scalar_one()
    page = (
        sa.select(latest_scores.c.credit_code)
        .where(*conditions)
        .order_by(*_ORDER[sort])
        .limit(limit)
        .offset(offset)
    )
    rows = connection.execute(_ranking_select([latest_scores.c.credit_code.in_(page)], sort)).mappings()
    return total, [{"rank": offset + i + 1, **row} for i, row in enumerate(rows)]


def ranking_rows(
    connection: sa.Connection, principal: Principal, ranking: RankingFilter, sort: Sort = "-score"
) -> Iterator[dict[str, Any]]:
    """Yield every ranked enterprise matching ``ranking`` in order, streamed (for exports)."""
    conditions = ranking.conditions(principal)
    result = connection.execution_options(yield_per=2_000).execute(_ranking_select(conditions, sort))
    for rank, row in enumerate(result.mappings(), start=1):
        yield {"rank": rank, **row}


def industries(connection: sa.Connection, principal: Principal) -> list[str]:
    """Return the industry divisions present among the scored enterprises of the caller's zones."""
    conditions = present(
        zone_condition(principal, latest_scores.c.zone), latest_scores.c.industry.is_not(None)
    )
    column = latest_scores.c.industry
    query = sa.select(column).where(*conditions).distinct().order_by(column)
    return list(connection.execute(query).scalars())


def active_warnings_of(connection: sa.Connection, credit_codes: list[str]) -> dict[str, list[dict]]:
    """Return each enterprise's active warnings (kind and level), for the rows of one page."""
    found: dict[str, list[dict]] = {}
    if not credit_codes:
        return found
    rows = connection.execute(
        sa.select(warnings.c.credit_code, warnings.c.kind, warnings.c.level)
        .where(warnings.c.credit_code.in_(credit_codes), warnings.c.active.is_(True))
        .order_by(warnings.c.kind)
    ).mappings()
    for row in rows:
        found.setdefault(row["credit_code"], []).append({"kind": row["kind"], "level": row["level"]})
    return found


def warning_page(
    connection: sa.Connection,
    principal: Principal,
    kind: str | None = None,
    level: str | None = None,
    zone: str | None = None,
    industry: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Return (total, one page) of active warnings of the caller's zones, worst first."""
    visible_zone(zone, principal)
    conditions = present(
        warnings.c.active.is_(True),
        zone_condition(principal, warnings.c.zone),
        warnings.c.zone == zone if zone else None,
        warnings.c.kind == kind if kind else None,
        warnings.c.level == level if level else None,
        warnings.c.industry == industry if industry else None,
    )
    order = (warnings.c.level.desc(), warnings.c.probability.desc(), warnings.c.warning_id)
    total, rows = table_page(connection, warnings, conditions, order, limit, offset)
    return total, [dict(r) for r in rows]


def warning_counts(connection: sa.Connection, principal: Principal, zone: str | None = None) -> dict:
    """Return ``{(kind, level): count}`` of the active warnings in the caller's zones."""
    visible_zone(zone, principal)
    conditions = present(
        warnings.c.active.is_(True),
        zone_condition(principal, warnings.c.zone),
        warnings.c.zone == zone if zone else None,
    )
    rows = connection.execute(
        sa.select(warnings.c.kind, warnings.c.level, sa.func.count())
        .where(*conditions)
        .group_by(warnings.c.kind, warnings.c.level)
    ).all()
    return {(kind, level): int(count) for kind, level, count in rows}


def warning_history(connection: sa.Connection, credit_codes: list[str], kind: str) -> dict[str, dict]:
    """Return, per enterprise, when a ``kind`` warning was first raised and in how many batches.

    A failure-to-repair warning that persists batch after batch is what marks an enterprise as a
    candidate for clearing out; this says how persistent each one is.
    """
    if not credit_codes:
        return {}
    rows = connection.execute(
        sa.select(
            warnings.c.credit_code,
            sa.func.min(warnings.c.as_of),
            sa.func.count(sa.distinct(warnings.c.as_of)),
        )
        .where(warnings.c.credit_code.in_(credit_codes), warnings.c.kind == kind)
        .group_by(warnings.c.credit_code)
    ).all()
    return {code: {"first_as_of": first, "batches": int(batches)} for code, first, batches in rows}


def distribution(
    connection: sa.Connection, principal: Principal, column: str, zone: str | None = None
) -> dict[str, int]:
    """Return how many scored enterprises of the caller's zones fall in each value of ``column``."""
    visible_zone(zone, principal)
    target = latest_scores.c[column]
    conditions = present(
        zone_condition(principal, latest_scores.c.zone), latest_scores.c.zone == zone if zone else None
    )
    rows = connection.execute(sa.select(target, sa.func.count()).where(*conditions).group_by(target)).all()
    return {str(value): int(count) for value, count in rows}


def activity_months(connection: sa.Connection, principal: Principal, zone: str) -> list[dict[str, Any]]:
    """Return a zone's monthly activity index (first stored month = 100) with its component indices."""
    if zone not in ZONES or not principal.sees_zone(zone):
        raise ApiError(404, f"zone {zone} not found; zones are {', '.join(ZONES)}")
    rows = connection.execute(
        sa.select(zone_activity).where(zone_activity.c.zone == zone).order_by(zone_activity.c.month)
    ).mappings()
    levels = pd.DataFrame([dict(r) for r in rows])
    if levels.empty:
        return []
    return [
        {
            "month": row["month"],
            "index": json_value(row["index"]),
            "components": {c: json_value(row[f"{c}_index"]) for c in COMPONENTS},
            "levels": {c: float(row[c]) for c in COMPONENTS},
            "enterprises": int(row["enterprises"]),
            "mean_activity_score": json_value(row["mean_activity_score"]),
        }
        for row in activity_index(levels).to_dict(orient="records")
    ]


def credit_records(credit_codes: list[str], home: Path) -> pd.DataFrame:
    """Return the credit records (latest version of each) of ``credit_codes``, oldest first.

    Only the warehouse buckets holding these enterprises are read. Raw as loaded: ``record_status``
    applies corrections and says where each record stands on a date.
    """
    from features.pointintime import latest_versions
    from features.view import enterprise_records

    events = enterprise_records(home, credit_codes, ("credit_events",))["credit_events"]
    return (
        latest_versions(events, SOURCES["credit_events"])
        .sort_values(["occurred_on", "event_id"])
        .reset_index(drop=True)
    )


def enterprise_detail(
    connection: sa.Connection, principal: Principal, credit_code: str, settings: Settings
) -> dict[str, Any]:
    """Return one visible enterprise's profile, latest score, score history, records and warnings.

    Records and profile are ``features.view.enterprise_view`` on the score's as-of date: every
    correction decided so far applies, as it does to the score beside them (a revoked record shows
    as revoked, not as listed beside its correction).
    """
    from data.corrections import read_corrections
    from features.view import enterprise_view

    latest = scored_enterprise(connection, principal, credit_code)
    profile = (
        connection.execute(sa.select(enterprises).where(enterprises.c.credit_code == credit_code))
        .mappings()
        .one_or_none()
    )
    if profile is None:
        raise not_found(credit_code)
    history = connection.execute(
        sa.select(score_history)
        .where(score_history.c.credit_code == credit_code)
        .order_by(score_history.c.as_of, score_history.c.scored_at, score_history.c.score_id)
    ).mappings()
    active = connection.execute(
        sa.select(warnings)
        .where(warnings.c.credit_code == credit_code, warnings.c.active.is_(True))
        .order_by(warnings.c.kind)
    ).mappings()
    corrections = read_corrections(None, settings.resolved_database_url, [credit_code])
    view = enterprise_view(settings.home, credit_code, latest["as_of"], corrections)
    person = {k: v for k, v in profile.items() if k != "updated_at"}
    person["legal_rep_id"] = mask_personal_id(person["legal_rep_id"], principal)
    return {
        "profile": person,
        "score": orjson.loads(latest["public_json"]),
        "history": [dict(h) for h in history],
        "records": frame_records(view.records[[*RECORD_COLUMNS, *STATUS_COLUMNS]]),
        "corrections": frame_records(view.corrections.drop(columns=["recorded_at"])),
        "warnings": [dict(w) for w in active],
    }


def record_status(records: pd.DataFrame, on: date, corrections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return credit records with their status on ``on`` and the windows of SPEC §3.

    ``features.view.records_on`` answers, under the rule of current scores every page and list of
    the service follows: the given corrections apply whenever decided (``current_corrections``; a
    revoked record stays, with status ``revoked``); see ``features.view.credit_status`` for the
    statuses.
    """
    from features.view import current_corrections, records_on

    return records_on(records, "credit_events", on, current_corrections(corrections, on))


# Data-quality status of a batch by its load rate: "ok" from the first bound, "warn" from the second.
LOAD_RATE_BOUNDS = (0.99, 0.95)


def _quality_status(row: dict[str, Any]) -> str:
    # Judged on the load rate alone: ``min_completeness`` also covers columns that may be empty
    # (repair dates, publication dates), so a low value there is information, not a failure.
    load = row["load_rate"] if row["load_rate"] is not None else 0.0
    return "ok" if load >= LOAD_RATE_BOUNDS[0] else "warn" if load >= LOAD_RATE_BOUNDS[1] else "bad"


def batch_quality(home: Path, latest_only: bool) -> list[dict[str, Any]]:
    """Return the quality indicators of the loaded batches, newest first, each with its status;
    ``latest_only`` keeps the newest batch of each source."""
    rows = [row | {"status": _quality_status(row)} for row in quality_rows(home)]
    if not latest_only:
        return rows
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # newest first
        latest.setdefault(row["source"], row)
    return list(latest.values())

"""Programs for trustworthy enterprises (信易贷, 守信激励/信易批, 信易租, 信易行) as one mechanism.

A program is a rule set in ``policy.toml``; its list is the caller's scored enterprises that meet it,
with the figures its recipients ask for. An export records who sent what to whom (authorised data
sharing with banks); using the green channel records a credit commitment (告知承诺制), and a missed
deadline becomes a ``commitment_breached`` record through the ordinary ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa

from data.corrections import read_corrections
from serving.champions import Champions
from serving.errors import ApiError
from serving.exports import csv_bytes
from serving.keys import Principal
from serving.outputs import json_value
from serving.queries import (
    RANKING_COLUMNS,
    credit_records,
    present,
    record_status,
    scored_enterprise,
    visible_zone,
    visible_zones,
    zone_condition,
)
from serving.services.common import (
    UNREPAIRED_STATUSES,
    feature_figures,
    ingest_credit_records,
    sha256,
)
from serving.services.policy import Program, ServicesPolicy
from serving.store import commitments, enterprises, latest_scores, program_exports, warnings
from zonecredit.settings import Settings

LIST_COLUMNS = RANKING_COLUMNS  # what a ranking row shows, then the program's figures
SIZE_FIGURES = ("ss_headcount_last", "tax_vat_sales_sum_12m")
COMMITMENT_STATUSES = ("open", "fulfilled", "breached")


def _negative_since(records: pd.DataFrame, years: int, as_of: date) -> set[str]:
    """Return the enterprises with a negative record shown within ``years`` before ``as_of``."""
    start = pd.Timestamp(as_of) - pd.DateOffset(years=years)
    negative = records[records["status"] != "positive"]
    recent = negative[(negative["shown_from"] > start) | negative["status"].isin(UNREPAIRED_STATUSES)]
    return set(recent["credit_code"])


def program_list(
    connection: sa.Connection,
    principal: Principal,
    program: Program,
    home: Path,
    zone: str | None = None,
) -> list[dict[str, Any]]:
    """Return the caller's scored enterprises that meet ``program``, best score first, with its figures."""
    visible_zone(zone, principal)
    conditions = present(
        zone_condition(principal, latest_scores.c.zone),
        latest_scores.c.zone == zone if zone else None,
        latest_scores.c.supervision_class.in_(program.classes),
        enterprises.c.status == "active" if program.require_active else None,
        latest_scores.c.credit_code.not_in(
            sa.select(warnings.c.credit_code).where(warnings.c.active.is_(True))
        )
        if program.no_active_warning
        else None,
    )
    query = (
        sa.select(*(latest_scores.c[c] for c in LIST_COLUMNS))
        .join(enterprises, enterprises.c.credit_code == latest_scores.c.credit_code)
        .where(*conditions)
        .order_by(latest_scores.c.score.desc(), latest_scores.c.credit_code)
    )
    rows = [dict(r) for r in connection.execute(query).mappings()]
    if not rows:
        return []
    codes = [r["credit_code"] for r in rows]
    excluded: set[str] = set()
    if program.no_unrepaired_negative or program.clean_years:
        records = credit_records(codes, home)
        found = read_corrections(None, connection, codes)
        for as_of in {r["as_of"] for r in rows}:
            status = record_status(records, as_of, found)
            if program.no_unrepaired_negative:
                excluded |= set(status.loc[status["status"].isin(UNREPAIRED_STATUSES), "credit_code"])
            if program.clean_years:
                excluded |= _negative_since(status, program.clean_years, as_of)
    rows = [r for r in rows if r["credit_code"] not in excluded]
    return _with_figures(rows, program, home)


def _with_figures(rows: list[dict[str, Any]], program: Program, home: Path) -> list[dict[str, Any]]:
    """Add the program's figures and drop enterprises above its size thresholds."""
    wanted = list(dict.fromkeys([*program.figures, *SIZE_FIGURES]))
    kept = []
    for as_of in sorted({r["as_of"] for r in rows}):
        batch = [r for r in rows if r["as_of"] == as_of]
        figures = feature_figures(home, as_of, wanted, [r["credit_code"] for r in batch])
        for row in batch:
            values = figures.loc[row["credit_code"]]
            headcount, sales = values["ss_headcount_last"], values["tax_vat_sales_sum_12m"]
            # Missing size data is no evidence of a large enterprise: the thresholds exclude on facts only.
            if (
                program.max_headcount is not None
                and pd.notna(headcount)
                and headcount > program.max_headcount
            ):
                continue
            if program.max_annual_sales is not None and pd.notna(sales) and sales > program.max_annual_sales:
                continue
            kept.append(row | {"figures": {f: json_value(values[f]) for f in program.figures}})
    return sorted(kept, key=lambda r: (-r["score"], r["credit_code"]))


def figure_labels(program: Program) -> dict[str, dict[str, str]]:
    """Return each of the program's figures with its plain-language name (the feature's description)."""
    from features.registry import FEATURES_BY_NAME

    found = {f: FEATURES_BY_NAME.get(f) for f in program.figures}
    return {
        f: {"zh": d.description_zh, "en": d.description_en} if d else {"zh": f, "en": f}
        for f, d in found.items()
    }


def program_csv(rows: list[dict[str, Any]], program: Program) -> bytes:
    """Return a program list as CSV: the list columns, then the program's figures."""
    header = [*LIST_COLUMNS, *program.figures]
    return csv_bytes(
        header, ([r[c] for c in LIST_COLUMNS] + [r["figures"][f] for f in program.figures] for r in rows)
    )


@dataclass(frozen=True)
class ProgramExport:
    """A recorded export: its id and the CSV that was sent."""

    export_id: int
    content: bytes
    rows: int


def export_program(
    engine: sa.Engine,
    principal: Principal,
    policy: ServicesPolicy,
    name: str,
    recipient: str,
    purpose: str,
    home: Path,
    zone: str | None = None,
) -> ProgramExport:
    """Build a program's list for ``recipient``, record who sent which enterprises to whom, return the CSV."""
    program = policy.program(name)
    recipient = recipient.strip()
    if not recipient:
        raise ApiError(422, "name the recipient (the bank or department the list is sent to)")
    with engine.begin() as connection:
        rows = program_list(connection, principal, program, home, zone)
        content = program_csv(rows, program)
        export_id = connection.execute(
            program_exports.insert().values(
                program=name,
                policy_version=policy.version,
                zones=zone or ",".join(visible_zones(principal)),
                recipient=recipient,
                purpose=purpose,
                rows=len(rows),
                credit_codes=orjson.dumps([r["credit_code"] for r in rows]).decode(),
                content_sha256=sha256(content),
                exported_by=principal.key_id,
                exported_at=datetime.now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return ProgramExport(int(export_id), content, len(rows))


def export_log(connection: sa.Connection, principal: Principal, program: str | None = None) -> list[dict]:
    """Return the recorded exports of the caller's zones (an export covering another zone is hidden)."""
    query = sa.select(program_exports).order_by(program_exports.c.export_id.desc())
    if program:
        query = query.where(program_exports.c.program == program)
    out = []
    for row in connection.execute(query).mappings():
        zones = row["zones"].split(",")
        if all(principal.sees_zone(z) for z in zones):
            out.append(dict(row) | {"credit_codes": orjson.loads(row["credit_codes"]), "zones": zones})
    return out


def record_commitment(
    engine: sa.Engine,
    principal: Principal,
    policy: ServicesPolicy,
    name: str,
    credit_code: str,
    department: str,
    settings: Settings,
    champions: Champions | None,
    promised_on: date | None = None,
) -> dict[str, Any]:
    """Record that an enterprise used a program on a credit commitment; return the commitment.

    The enterprise must be on the program's list; the commitment is also loaded as a
    ``commitment_made`` record, so that it counts in the features like any other (and is rescored
    on arrival with ``champions``).
    """
    home = settings.home
    program = policy.program(name)
    if program.commitment is None:
        raise ApiError(422, f"program {name} takes no credit commitment")
    promised_on = promised_on or date.today()
    with engine.begin() as connection:
        latest = scored_enterprise(connection, principal, credit_code)
        members = program_list(connection, principal, program, home, latest["zone"])
        if credit_code not in {m["credit_code"] for m in members}:
            raise ApiError(409, f"{credit_code} does not meet the rules of program {name} and cannot use it")
        commitment_id = connection.execute(
            commitments.insert().values(
                credit_code=credit_code,
                zone=latest["zone"],
                program=name,
                template=program.commitment.template_zh,
                department=department,
                promised_on=promised_on,
                deadline=promised_on + timedelta(days=program.commitment.days),
                status="open",
                recorded_by=principal.key_id,
                recorded_at=datetime.now(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    made = _commitment_record(
        int(commitment_id), credit_code, "commitment_made", "minor", promised_on, department, date.today()
    )
    ingest_credit_records([made], settings, f"commitment-{commitment_id}", champions)
    return find_commitment(engine, principal, int(commitment_id))


def _commitment_record(
    commitment_id: int, credit_code: str, kind: str, severity: str, on: date, department: str, known_on: date
) -> dict[str, Any]:
    """Return a ``credit_events`` row: it happened ``on``, the platform knew it ``known_on`` (reported_on)."""
    suffix = "M" if kind == "commitment_made" else "B"
    return {
        "event_id": f"CMT{commitment_id:08d}{suffix}",
        "credit_code": credit_code,
        "kind": kind,
        "severity": severity,
        "occurred_on": on.isoformat(),
        "published_on": on.isoformat(),
        "department": department,
        "reported_on": known_on.isoformat(),
    }


def find_commitment(engine: sa.Engine, principal: Principal, commitment_id: int) -> dict[str, Any]:
    """Return one commitment of the caller's zones, or 404."""
    with engine.connect() as connection:
        row = (
            connection.execute(sa.select(commitments).where(commitments.c.commitment_id == commitment_id))
            .mappings()
            .one_or_none()
        )
    if row is None or not principal.sees_zone(row["zone"]):
        raise ApiError(404, f"commitment {commitment_id} not found")
    return dict(row)


def commitment_list(
    connection: sa.Connection, principal: Principal, credit_code: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Return the commitments of the caller's zones, newest first."""
    query = sa.select(commitments).where(
        *present(
            zone_condition(principal, commitments.c.zone),
            commitments.c.credit_code == credit_code if credit_code else None,
            commitments.c.status == status if status else None,
        )
    )
    return [
        dict(r) for r in connection.execute(query.order_by(commitments.c.commitment_id.desc())).mappings()
    ]


def fulfil_commitment(
    engine: sa.Engine, principal: Principal, commitment_id: int, on: date
) -> dict[str, Any]:
    """Mark an open commitment kept (the waived documents arrived); 409 once it is closed."""
    find_commitment(engine, principal, commitment_id)
    with engine.begin() as connection:
        done = connection.execute(
            commitments.update()
            .where(commitments.c.commitment_id == commitment_id, commitments.c.status == "open")
            .values(status="fulfilled", closed_on=on)
        )
    if done.rowcount != 1:
        raise ApiError(409, f"commitment {commitment_id} is already closed")
    return find_commitment(engine, principal, commitment_id)


def breach_overdue(
    engine: sa.Engine,
    principal: Principal,
    policy: ServicesPolicy,
    on: date,
    settings: Settings,
    champions: Champions | None,
) -> list[dict[str, Any]]:
    """Turn every open commitment of the caller's zones past its deadline on ``on`` into a breach.

    Each breach is loaded as a ``commitment_breached`` record (one batch for the sweep) through the
    same ingest as any department export, and the breaching enterprises are rescored on arrival with
    ``champions``; returns the breached commitments.
    """
    with engine.connect() as connection:
        overdue = [c for c in commitment_list(connection, principal, status="open") if c["deadline"] < on]
    if not overdue:
        return []
    rows = []
    for c in overdue:
        template = policy.programs.get(c["program"])
        severity = template.commitment.severity if template and template.commitment else "general"
        rows.append(
            _commitment_record(
                c["commitment_id"],
                c["credit_code"],
                "commitment_breached",
                severity,
                c["deadline"] + timedelta(days=1),
                c["department"],
                on,
            )
        )
    ingest_credit_records(rows, settings, f"breaches-{on:%Y%m%d}", champions)
    with engine.begin() as connection:
        for c, record in zip(overdue, rows, strict=True):
            connection.execute(
                commitments.update()
                .where(commitments.c.commitment_id == c["commitment_id"])
                .values(status="breached", closed_on=on, event_id=record["event_id"])
            )
    return [find_commitment(engine, principal, c["commitment_id"]) for c in overdue]

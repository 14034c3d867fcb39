"""Credit reports (信用报告): an A4 PDF per enterprise with a number and a verification code.

The report's content is assembled from the same reads as the enterprise page (``enterprise_detail``:
zone scoping and masking by role), hashed, and rendered from an HTML template with WeasyPrint and a
CJK font from Debian (``fonts-wqy-microhei`` or ``fonts-noto-cjk``). Each issued report is stored
with its number, content hash and verification code, which ``GET /v1/reports/{number}`` confirms.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader, select_autoescape

from features.rules import POSITIVE_KINDS
from serving.dashboard.i18n import Lang, translator
from serving.errors import ApiError
from serving.keys import Principal
from serving.outputs import frame_records
from serving.queries import enterprise_detail
from serving.services.guidance import guidance_for
from serving.services.programs import commitment_list
from serving.store import reports_issued
from zonecredit.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_BATCH = 10  # reports in one ZIP (each is rendered, ~0.5 s); longer lists are fetched by offset


@dataclass(frozen=True)
class IssuedReport:
    """A rendered report and what identifies it."""

    number: str
    credit_code: str
    verification_code: str
    pdf: bytes


def report_number(credit_code: str, issued_on: date) -> str:
    """Return a new report number: date, the code's last four characters and a random part."""
    return f"ZC{issued_on:%Y%m%d}-{credit_code[-4:]}-{secrets.token_hex(3).upper()}"


def verification_code(content_sha256: str, model_version: str) -> str:
    """Return the code printed on a report: a hash of its content hash and the model version, in groups."""
    digest = hashlib.sha256(f"{content_sha256}:{model_version}".encode()).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def _tax_grades(credit_code: str, home: Path, as_of: date) -> list[dict[str, Any]]:
    from data.warehouse import bucket_count, bucket_of, read_source

    bucket = int(bucket_of(pd.Series([credit_code]), bucket_count(home))[0])
    grades = read_source("tax_grade", home, buckets=[bucket])
    grades = grades[(grades["credit_code"] == credit_code) & (grades["reported_on"] <= pd.Timestamp(as_of))]
    grades = grades.drop_duplicates("year", keep="last").sort_values("year")
    return frame_records(grades[["year", "grade", "reported_on"]])


def _sources(home: Path) -> list[dict[str, Any]]:
    """Return each source's latest loaded batch: the data the report stands on and how fresh it is."""
    from data.warehouse import batch_summaries

    latest: dict[str, dict[str, Any]] = {}
    for batch in batch_summaries(home):
        if batch.get("status") == "loaded":
            latest[batch["source"]] = batch  # oldest first, so the last one wins
    return [
        {
            "source": s,
            "batch_id": b["batch_id"],
            "loaded_at": b["loaded_at"][:10],
            "received_on": b["received_on"],
        }
        for s, b in latest.items()
    ]


def report_content(
    connection: sa.Connection, principal: Principal, credit_code: str, settings: Settings, issued_on: date
) -> dict[str, Any]:
    """Return everything one report says (JSON-ready; personal data masked as for ``principal``)."""
    detail = enterprise_detail(connection, principal, credit_code, settings)
    score = detail["score"]
    as_of = date.fromisoformat(score["as_of"])
    records = detail["records"]
    return {
        "credit_code": credit_code,
        "issued_on": issued_on.isoformat(),
        "as_of": as_of.isoformat(),
        "profile": detail["profile"],
        "score": score,
        "history": [
            {k: h[k] for k in ("as_of", "score", "pd", "grade", "supervision_class", "trigger")}
            for h in detail["history"]
        ],
        "records": records,
        "guidance": guidance_for(records, as_of),
        "corrections": detail["corrections"],
        "honours": [r for r in records if r["kind"] in POSITIVE_KINDS],
        "commitments": commitment_list(connection, principal, credit_code),
        "tax_grades": _tax_grades(credit_code, settings.home, as_of),
        "warnings": [
            {k: w[k] for k in ("kind", "level", "probability", "as_of")} for w in detail["warnings"]
        ],
        "sources": _sources(settings.home),
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    environment.filters["day"] = lambda v: "—" if v in (None, "") else str(v)[:10]
    environment.filters["pct"] = lambda v, d=2: "—" if v is None else f"{v:.{d}%}"
    return environment


def render_html(content: dict[str, Any], number: str, code: str, lang: Lang) -> str:
    """Return the report's HTML (what WeasyPrint lays out)."""
    t = translator(lang)
    return (
        _environment()
        .get_template("report.html")
        .render(
            c=content, number=number, verification=code, lang=lang, t=t, zone_name=lambda z: t(f"zone.{z}")
        )
    )


def render_notice(detail: dict[str, Any], guidance: dict[str, dict[str, Any]], lang: Lang) -> str:
    """Return the HTML of a repair notice (信用修复告知书): each repairable record and how to repair it."""
    t = translator(lang)
    return (
        _environment()
        .get_template("notice.html")
        .render(detail=detail, guidance=guidance, lang=lang, t=t, today=date.today().isoformat())
    )


def render_pdf(html: str) -> bytes:
    """Return the PDF of ``html`` (A4, fonts found through fontconfig)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def _jsonable(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))


def issue_report(
    engine: sa.Engine,
    principal: Principal,
    credit_code: str,
    settings: Settings,
    purpose: str,
    lang: Lang = "zh",
) -> IssuedReport:
    """Assemble, number, hash, store and render one enterprise's report."""
    issued_at = datetime.now()
    with engine.connect() as connection:
        content = _jsonable(report_content(connection, principal, credit_code, settings, issued_at.date()))
    number = report_number(credit_code, issued_at.date())
    score = content["score"]
    model_version = f"{score['model']}:{score['model_version']}"
    content_sha256 = hashlib.sha256(
        orjson.dumps({"number": number, **content}, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    code = verification_code(content_sha256, model_version)
    pdf = render_pdf(render_html(content, number, code, lang))
    with engine.begin() as connection:
        connection.execute(
            reports_issued.insert().values(
                report_number=number,
                credit_code=credit_code,
                zone=content["profile"]["zone"],
                lang=lang,
                as_of=date.fromisoformat(content["as_of"]),
                model_version=model_version,
                content_sha256=content_sha256,
                verification_code=code,
                issued_by=principal.key_id,
                purpose=purpose,
                issued_at=issued_at,
            )
        )
    return IssuedReport(number, credit_code, code, pdf)


def find_report(connection: sa.Connection, principal: Principal, number: str) -> dict[str, Any]:
    """Return what was issued under ``number`` in the caller's zones, or 404."""
    row = (
        connection.execute(sa.select(reports_issued).where(reports_issued.c.report_number == number))
        .mappings()
        .one_or_none()
    )
    if row is None or not principal.sees_zone(row["zone"]):
        raise ApiError(404, f"report {number} not found")
    return dict(row)


class _Chunks(io.RawIOBase):
    """A write-only stream that hands out what was written since the last ``take``."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out


def zip_stream(reports: Iterable[IssuedReport]) -> Iterator[bytes]:
    """Yield one ZIP holding each report as ``<credit code>-<number>.pdf``, a member at a time.

    Each report is rendered as the archive is sent, so the first bytes leave after the first report
    rather than after the whole batch.
    """
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for report in reports:
            archive.writestr(f"{report.credit_code}-{report.number}.pdf", report.pdf)
            yield sink.take()
    yield sink.take()

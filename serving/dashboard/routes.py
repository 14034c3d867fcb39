"""The administrators' dashboard (SPEC §7, at ``/``): server-rendered pages over the API's own reads.

Every page reads through ``serving.queries`` / ``serving.disputes`` with the signed-in key's
principal, so zone scoping (another zone's enterprise is a 404), masking and the audit log are the
API's. Pages are plain HTML forms and links (charts are inline SVG), so they work without scripts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse, Response

from data.corrections import read_corrections
from data.errors import ZonecreditError
from data.quality import quality_rows
from features.view import current_corrections
from models.activity import COMPONENTS
from serving.alerts import alert_page
from serving.batch import explain_enterprise
from serving.dashboard import charts
from serving.dashboard.i18n import TEXT, Lang, translator
from serving.dashboard.session import (
    Session,
    clear_session,
    end_session,
    language,
    open_session,
    read_session,
    remember_language,
    session_key_id,
    write_session,
)
from serving.deps import ServiceState, StateDep, client_of, refuse_if_locked_out
from serving.disputes import STATUSES, decide_dispute, dispute_page, file_dispute, find_dispute, rescoring
from serving.errors import ApiError
from serving.exports import csv_response
from serving.keys import Principal, key_id_of, principal_by_id, verify_key
from serving.queries import (
    CLASSES,
    GRADES,
    RANKING_COLUMNS,
    SORTS,
    UNMASKED_ROLES,
    WARNING_KINDS,
    WARNING_LEVELS,
    RankingFilter,
    Sort,
    active_warnings_of,
    activity_months,
    credit_records,
    distribution,
    enterprise_detail,
    industries,
    masked_id,
    ranking_page,
    ranking_rows,
    record_status,
    visible_zones,
    warning_counts,
    warning_history,
    warning_page,
)
from serving.services.common import UNREPAIRED_STATUSES
from serving.services.guidance import guidance_for
from serving.services.policy import policy_in_force
from zonecredit.settings import Settings

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
DATA_ROLES = ("admin", "analyst")  # the pages of enterprise data
# scorer keys may not read profiles, so may not sign in; a data steward signs in for data quality
# and uploads only, and starts on the upload page
DASHBOARD_ROLES = (*DATA_ROLES, "auditor", "steward")
STEWARD_HOME = "/data/upload"
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
OVERVIEW_ALERTS = 5  # the newest alerts of the zone on the overview; /alerts holds them all
RISKIEST_FIRST: Sort = "score"  # a risk ranking opens on the lowest scores
# Data-quality status of a batch by its load rate: "good" from the first bound, "watch" from the second.
LOAD_RATE_BOUNDS = (0.99, 0.95)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """The request has no live session: send the browser to the sign-in page."""


class DashboardRoute(APIRoute):
    """Turns refusals into pages: a sign-in redirect, or an error page in the viewer's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            except ApiError as exc:
                page = error_page(request, exc.status, exc.message)
                page.headers.update(exc.headers)  # e.g. Retry-After of a lockout
                return page
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ()))
                return error_page(request, 422, f"{where}: {first.get('msg', 'invalid request')}")
            except ZonecreditError as exc:  # e.g. a dispute whose correction would be invalid
                return error_page(request, 422, str(exc))

        return guarded


router = APIRouter(route_class=DashboardRoute, include_in_schema=False)


@dataclass(frozen=True)
class Viewer:
    """The signed-in administrator or analyst behind a request, with the session and page language."""

    principal: Principal
    session: Session
    lang: Lang

    @property
    def is_admin(self) -> bool:
        return self.principal.role == "admin"


def signed_in(request: Request, state: Any) -> Viewer | None:
    """Return the viewer of a live stored session whose key is still valid, else None."""
    session = read_session(request, state.secret)
    if session is None:
        return None
    with state.engine.connect() as connection:
        key_id = session_key_id(connection, session)
        principal = None if key_id is None else principal_by_id(connection, key_id)
    if principal is None or principal.role not in DASHBOARD_ROLES:
        return None
    request.scope.setdefault("state", {})["key_id"] = principal.key_id  # for the access log
    return Viewer(principal, session, language(request))


def viewer_in(*roles: str) -> Callable[[Request, ServiceState], Viewer]:
    """Return a dependency: the signed-in viewer if their role may see the page (else 403), or sign-in."""

    def current_viewer(request: Request, state: StateDep) -> Viewer:
        viewer = signed_in(request, state)
        if viewer is None:
            raise SignInRequired
        if viewer.principal.role not in roles:
            raise ApiError(
                403, f"role {viewer.principal.role} may not see this page; it needs {' or '.join(roles)}"
            )
        return viewer

    return current_viewer


ViewerDep = Annotated[Viewer, Depends(viewer_in(*DATA_ROLES))]
QualityViewerDep = Annotated[Viewer, Depends(viewer_in(*DATA_ROLES, "steward"))]
CsrfForm = Annotated[str, Form(max_length=100)]
DisputeId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _check_csrf(viewer: Viewer, csrf: str) -> None:
    if not viewer.session.accepts(csrf):
        raise ApiError(403, "the form's CSRF token does not match this session; reload the page")


def _audit(
    state: Any,
    viewer: Viewer,
    action: str,
    credit_code: str | None = None,
    detail: str | None = None,
    purpose: str | None = None,
    personal_data: bool = False,
) -> None:
    state.audit.record(
        viewer.principal,
        f"dashboard {action}",
        purpose or state.settings.default_purpose,
        credit_code,
        detail,
        personal_data=personal_data,
    )


def _pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}%}"


def _day(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return str(value)[:10]


@lru_cache(maxsize=1)
def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["pct"] = _pct
    templates.env.filters["day"] = _day
    return templates


def _linker(request: Request) -> Callable[..., str]:
    """Return ``link(**changes)``: this page's URL with query parameters changed (None drops one)."""

    def link(path: str | None = None, **changes: object) -> str:
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        for name, value in changes.items():
            name = name.rstrip("_")  # class_ → class
            if value is None or value == "":
                params.pop(name, None)
            else:
                params[name] = str(value)
        query = urlencode(params)
        return (path or request.url.path) + (f"?{query}" if query else "")

    return link


def render(
    request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page in the viewer's language with the frame's context and security headers."""
    lang = viewer.lang if viewer else language(request)
    t = translator(lang)
    response = _templates().TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": lang,
            "other_lang": "en" if lang == "zh" else "zh",
            "viewer": viewer,
            "link": _linker(request),
            "zone_name": lambda z: t(f"zone.{z}"),
            **context,
        },
        status_code=status_code,
    )
    remember_language(response, request)
    response.headers.update(SECURITY_HEADERS)
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """Render an error with the API's message; the frame shows no viewer (the cause may be the session)."""
    heading = f"error.{status}" if f"error.{status}" in TEXT else "common.error"
    return render(request, "error.html", None, status, code=status, heading=heading, message=message)


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    """Return a filter value if it is one of ``allowed`` (blank = no filter), else refuse with 422."""
    value = _blank(value)
    if value is not None and value not in allowed:
        raise ApiError(422, f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _pages(total: int, size: int) -> int:
    return max(1, math.ceil(total / size))


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an absolute or scheme-relative URL would make sign-in an open redirect.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# ---------------------------------------------------------------- sign-in


def _login_page(request: Request, state: Any, message: str | None, status: int, target: str) -> HTMLResponse:
    session = read_session(request, state.secret) or Session.new()
    response = render(
        request, "login.html", None, status, message=message, csrf=session.csrf, next=_safe_next(target)
    )
    write_session(response, request, state.secret, Session(session.csrf))
    return response


def _landing(principal: Principal, target: str | None) -> str:
    # An auditor reads no enterprise data: their first page is the audit log; a steward's is the
    # upload page.
    target = _safe_next(target)
    if target == "/" and principal.role in {"auditor", "steward"}:
        return "/audit" if principal.role == "auditor" else STEWARD_HOME
    return target


@router.get("/login")
def login_form(request: Request, state: StateDep, next: str = "/") -> Response:
    """The sign-in form; it starts an anonymous session so that the form carries a CSRF token.

    A signed-in viewer is sent on to ``next``: a plain link to this page must not sign them out.
    """
    viewer = signed_in(request, state)
    if viewer is not None:
        return RedirectResponse(_landing(viewer.principal, next), status_code=303)
    return _login_page(request, state, None, 200, next)


@router.post("/login")
def login(
    request: Request,
    state: StateDep,
    csrf: CsrfForm,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the key once, then keep only its id in a fresh stored session (new CSRF token: no fixation).

    Refused keys count towards the lockout of the client and of the key id, and are audited.
    """
    session = read_session(request, state.secret)
    if session is None or not session.accepts(csrf):
        return _login_page(request, state, "login.expired", 400, next)
    client, key_id = client_of(request), key_id_of(key.strip())
    refuse_if_locked_out(state, client, key_id)
    with state.engine.connect() as connection:
        principal = verify_key(connection, key.strip())
    if principal is None:
        state.limiter.failed(client, key_id)
        state.audit.record_failed_sign_in("dashboard POST /login", key_id, client, "failed sign-in")
        return _login_page(request, state, "login.bad_key", 401, next)
    if principal.role not in DASHBOARD_ROLES:
        return _login_page(request, state, "login.scorer", 403, next)
    response = RedirectResponse(_landing(principal, next), status_code=303)
    write_session(response, request, state.secret, open_session(state.engine, principal.key_id))
    state.audit.record(principal, "dashboard POST /login", state.settings.default_purpose, detail="sign-in")
    return response


@router.post("/logout")
def logout(request: Request, state: StateDep, csrf: CsrfForm) -> Response:
    """End the stored session (the form's token must match, so another site cannot sign a viewer out)."""
    session = read_session(request, state.secret)
    if session is not None and session.session_id is not None:
        if not session.accepts(csrf):
            raise ApiError(403, "the form's CSRF token does not match this session; reload the page")
        end_session(state.engine, session)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


# ---------------------------------------------------------------- overview


def _quality_status(row: dict[str, Any]) -> str:
    # Judged on the load rate alone: ``min_completeness`` also covers columns that may be empty
    # (repair dates, publication dates), so a low value there is information, not a failure.
    load = row["load_rate"] if row["load_rate"] is not None else 0.0
    return "ok" if load >= LOAD_RATE_BOUNDS[0] else "warn" if load >= LOAD_RATE_BOUNDS[1] else "bad"


def _quality(home: Path, latest_only: bool) -> list[dict[str, Any]]:
    rows = [row | {"status": _quality_status(row)} for row in quality_rows(home)]
    if not latest_only:
        return rows
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # newest first
        latest.setdefault(row["source"], row)
    return list(latest.values())


@router.get("/")
def overview(request: Request, viewer: ViewerDep, state: StateDep, zone: str | None = None) -> Response:
    """One zone at a glance: grades, classes, activity index with components, warnings, data quality."""
    principal = viewer.principal
    zones = visible_zones(principal)
    zone = _blank(zone) or zones[0]
    t = translator(viewer.lang)
    with state.engine.connect() as connection:
        grades = distribution(connection, principal, "grade", zone)
        classes = distribution(connection, principal, "supervision_class", zone)
        months = activity_months(connection, principal, zone)
        counts = warning_counts(connection, principal, zone)
        alerts = alert_page(connection, principal.zones, None, zone, OVERVIEW_ALERTS)
    _audit(state, viewer, "GET /", detail=zone)
    series = [(t("series.index"), [m["index"] for m in months])]
    series += [(t(f"series.{c}"), [m["components"][c] for m in months]) for c in COMPONENTS]
    return render(
        request,
        "overview.html",
        viewer,
        page="overview",
        zones=zones,
        zone=zone,
        enterprises=sum(grades.values()),
        as_of=months[-1]["month"] if months else None,
        grade_chart=charts.bar_chart(
            [(g, grades.get(g, 0)) for g in GRADES],
            t("overview.grades"),
            [f"grade grade-{g[0]}" for g in GRADES],
        ),
        class_chart=charts.bar_chart(
            [(c, classes.get(c, 0)) for c in CLASSES],
            t("overview.classes"),
            [f"class class-{c}" for c in CLASSES],
            width=300,
        ),
        activity_chart=charts.line_chart(
            [f"{m['month']:%Y-%m}" for m in months], series, t("overview.activity")
        )
        if months
        else None,
        counts=counts,
        alerts=alerts,
        quality=_quality(state.settings.home, latest_only=True),
    )


# ---------------------------------------------------------------- ranking


@dataclass(frozen=True)
class RankingQuery:
    """The ranking page's query string, checked: the filter, the order and the page."""

    ranking: RankingFilter
    sort: Sort
    page: int
    size: int


def ranking_query(
    zone: str | None = None,
    industry: Annotated[str | None, Query(max_length=8)] = None,
    grade: str | None = None,
    klass: Annotated[str | None, Query(alias="class")] = None,
    warning: str | None = None,
    sort: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: int = DEFAULT_PAGE_SIZE,
) -> RankingQuery:
    """Read the ranking filters from the query string (blank means no filter)."""
    ranking = RankingFilter(
        zone=_blank(zone),
        industry=_blank(industry),
        grade=_choice(grade, GRADES, "grade"),
        supervision_class=_choice(klass, CLASSES, "class"),
        warning=_choice(warning, ("any", *WARNING_KINDS), "warning"),  # type: ignore[arg-type]
    )
    order = _choice(sort, SORTS, "sort") or RISKIEST_FIRST
    return RankingQuery(ranking, order, page, size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE)  # type: ignore[arg-type]


RankingQueryDep = Annotated[RankingQuery, Depends(ranking_query)]


@router.get("/ranking")
def ranking(request: Request, viewer: ViewerDep, state: StateDep, query: RankingQueryDep) -> Response:
    """Enterprises of the viewer's zones by risk: filtered, sorted and paginated on the server."""
    offset = (query.page - 1) * query.size
    with state.engine.connect() as connection:
        total, items = ranking_page(
            connection, viewer.principal, query.ranking, query.sort, query.size, offset
        )
        flags = active_warnings_of(connection, [i["credit_code"] for i in items])
        options = industries(connection, viewer.principal)
    _audit(state, viewer, "GET /ranking", detail=f"{len(items)} enterprises; page {query.page}")
    return render(
        request,
        "ranking.html",
        viewer,
        page="ranking",
        zones=visible_zones(viewer.principal),
        industries=options,
        query=query,
        total=total,
        pages=_pages(total, query.size),
        items=items,
        flags=flags,
        grades=GRADES,
        classes=CLASSES,
        warning_kinds=WARNING_KINDS,
        sizes=PAGE_SIZES,
    )


@router.get("/ranking.csv")
def ranking_csv(viewer: ViewerDep, state: StateDep, query: RankingQueryDep) -> Response:
    """Every enterprise matching the ranking's filters, in its order, as CSV (UTF-8 with BOM for Excel)."""
    with state.engine.connect() as connection:
        total, _ = ranking_page(connection, viewer.principal, query.ranking, query.sort, 1, 0)
    _audit(state, viewer, "GET /ranking.csv", detail=f"export of {total} enterprises")

    def rows() -> Iterator[list[Any]]:
        with state.engine.connect() as connection:
            for row in ranking_rows(connection, viewer.principal, query.ranking, query.sort):
                yield [row["rank"], *(row[c] for c in RANKING_COLUMNS)]

    return csv_response(f"ranking-{date.today():%Y%m%d}.csv", ["rank", *RANKING_COLUMNS], rows())


# ---------------------------------------------------------------- enterprise


@router.get("/enterprises/{credit_code}")
def enterprise(
    request: Request, viewer: ViewerDep, state: StateDep, credit_code: str, purpose: str | None = None
) -> Response:
    """One enterprise: score and grade history, reasons, what would move it up, records, warnings.

    Personal data a role may see unmasked stays masked until the viewer says why (one of the
    configured purposes); that read is marked in the audit log with the purpose.
    """
    t = translator(viewer.lang)
    purpose = _choice(purpose, tuple(state.settings.purposes), "purpose")
    with state.engine.connect() as connection:
        detail = enterprise_detail(connection, viewer.principal, credit_code, state.settings)
        _, disputes = dispute_page(connection, viewer.principal, credit_code=credit_code, limit=20)
    personal = detail["profile"]["legal_rep_id"]
    maskable = viewer.principal.role in UNMASKED_ROLES and personal is not None
    if maskable and purpose is None:
        detail["profile"]["legal_rep_id"] = masked_id(personal)
    unmasked = maskable and purpose is not None
    _audit(state, viewer, "GET /enterprises/{credit_code}", credit_code, None, purpose, unmasked)
    score = detail["score"]
    champions = state.champions.current
    explanation = (
        explain_enterprise(credit_code, date.fromisoformat(score["as_of"]), state.settings, champions)
        if champions is not None
        else None
    )
    history = detail["history"]
    reasons = [(r[viewer.lang], r["contribution"]) for r in score["reasons"]]
    return render(
        request,
        "enterprise.html",
        viewer,
        page="ranking",
        detail=detail,
        score=score,
        explanation=explanation,
        disputes=disputes,
        ask_purpose=maskable and not unmasked,
        purposes=state.settings.purposes,
        disputable=[r for r in detail["records"] if r["status"] not in ("positive", "later", "revoked")],
        guidance=guidance_for(detail["records"], date.fromisoformat(score["as_of"])),
        history_chart=charts.line_chart(
            [f"{h['as_of']:%Y-%m-%d}" + ("*" if h["trigger"] == "dispute" else "") for h in history],
            [(t("col.score"), [float(h["score"]) for h in history])],
            t("ent.history"),
            height=200,
        )
        if history
        else None,
        reason_chart=charts.contribution_chart(reasons, t("ent.reasons")) if reasons else None,
    )


@router.post("/enterprises/{credit_code}/disputes")
def enterprise_dispute(
    viewer: ViewerDep,
    state: StateDep,
    credit_code: str,
    csrf: CsrfForm,
    event_id: Annotated[str, Form(min_length=1, max_length=64)],
    action: Annotated[str, Form()],
    claim: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    """File a dispute against one of the enterprise's credit records, then show it in the queue."""
    _check_csrf(viewer, csrf)
    draft = {
        "credit_code": credit_code,
        "source": "credit_events",
        "record_key": {"event_id": event_id},
        "action": _choice(action, ("revoke", "repair"), "action"),
        "new_values": None,
        "claim": claim,
    }
    dispute = file_dispute(state.engine, viewer.principal, draft, state.settings.home)
    action_name = "POST /enterprises/{credit_code}/disputes"
    _audit(state, viewer, action_name, credit_code, f"dispute {dispute['dispute_id']}")
    return RedirectResponse(f"/disputes/{dispute['dispute_id']}", status_code=303)


# ---------------------------------------------------------------- warnings


def _unrepaired(items: list[dict[str, Any]], settings: Settings) -> dict[str, dict[str, Any]]:
    """Return, per repair warning, since when its records have stayed unrepaired and for how many days."""
    if not items:
        return {}
    codes = [i["credit_code"] for i in items]
    records = credit_records(codes, settings.home)
    corrections = read_corrections(None, settings.resolved_database_url, codes)
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        own = records[records["credit_code"] == item["credit_code"]]
        status = record_status(own, item["as_of"], current_corrections(corrections, item["as_of"]))
        open_ = status[status["status"].isin(UNREPAIRED_STATUSES)]
        if len(open_):
            found[item["credit_code"]] = {
                "since": open_["shown_from"].min().date(),
                "days": int(open_["days_unrepaired"].max()),
                "records": len(open_),
            }
    return found


@router.get("/warnings")
def warnings_page(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    kind: str = "repair",
    level: str | None = None,
    zone: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The failure-to-repair list (with how long records stay unrepaired) and the dormancy list."""
    kind = _choice(kind, WARNING_KINDS, "kind") or "repair"
    level = _choice(level, WARNING_LEVELS, "level")
    offset = (page - 1) * DEFAULT_PAGE_SIZE
    with state.engine.connect() as connection:
        total, items = warning_page(
            connection, viewer.principal, kind, level, _blank(zone), None, DEFAULT_PAGE_SIZE, offset
        )
        persistence = warning_history(connection, [i["credit_code"] for i in items], kind)
    _audit(state, viewer, "GET /warnings", detail=f"{len(items)} warnings; kind={kind}")
    return render(
        request,
        "warnings.html",
        viewer,
        page="warnings",
        kind=kind,
        level=level,
        zone=_blank(zone),
        zones=visible_zones(viewer.principal),
        total=total,
        current=page,
        pages=_pages(total, DEFAULT_PAGE_SIZE),
        items=items,
        persistence=persistence,
        policy=policy_in_force(state.settings),  # its [clearout] rule marks the candidates
        unrepaired=_unrepaired(items, state.settings) if kind == "repair" else {},
    )


# ---------------------------------------------------------------- disputes


@router.get("/disputes")
def disputes_page(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    status: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The dispute queue of the viewer's zones, newest first; administrators act on it."""
    status = _choice(status, STATUSES, "status")
    offset = (page - 1) * DEFAULT_PAGE_SIZE
    with state.engine.connect() as connection:
        total, items = dispute_page(
            connection, viewer.principal, status, limit=DEFAULT_PAGE_SIZE, offset=offset
        )
    _audit(state, viewer, "GET /disputes", detail=f"{len(items)} disputes")
    return render(
        request,
        "disputes.html",
        viewer,
        page="disputes",
        status=status,
        statuses=STATUSES,
        total=total,
        current=page,
        pages=_pages(total, DEFAULT_PAGE_SIZE),
        items=items,
    )


@router.get("/disputes/{dispute_id}")
def dispute_detail(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    dispute_id: DisputeId,
) -> Response:
    """One dispute with its decision and, once upheld, the score before and after the rescore."""
    with state.engine.connect() as connection:
        dispute = find_dispute(connection, viewer.principal, dispute_id)
        before, after = rescoring(connection, dispute)
    _audit(state, viewer, "GET /disputes/{dispute_id}", dispute["credit_code"], f"dispute {dispute_id}")
    return render(
        request, "dispute.html", viewer, page="disputes", dispute=dispute, before=before, after=after
    )


@router.post("/disputes/{dispute_id}")
def decide(
    viewer: ViewerDep,
    state: StateDep,
    dispute_id: DisputeId,
    csrf: CsrfForm,
    status: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Review, uphold (correction and rescore) or reject a dispute; a decision needs a reason."""
    _check_csrf(viewer, csrf)
    if not viewer.is_admin:
        raise ApiError(403, "only zone administrators decide disputes")
    status = _choice(status, ("under_review", "upheld", "rejected"), "status") or ""
    if status in ("upheld", "rejected") and not note.strip():
        raise ApiError(422, "give a reason to uphold or reject a dispute")
    champions = state.champions.current
    if champions is None:
        raise ApiError(503, f"no champion models loaded yet: {state.champions.last_error or 'loading'}")
    out = decide_dispute(
        dispute_id, status, note.strip(), viewer.principal, state.engine, state.settings, champions
    )
    _audit(state, viewer, "POST /disputes/{dispute_id}", out["credit_code"], status)
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)


# ---------------------------------------------------------------- data quality


@router.get("/quality")
def quality(request: Request, viewer: QualityViewerDep, state: StateDep) -> Response:
    """The data-quality indicators of every loaded batch, newest first."""
    return render(
        request,
        "quality.html",
        viewer,
        page="quality",
        rows=_quality(state.settings.home, latest_only=False),
    )

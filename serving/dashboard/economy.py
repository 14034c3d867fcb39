"""The zone economy page: growth of taxes, headcount, electricity, statistics and IP, zones compared."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from data.vocabulary import INDUSTRY_SECTIONS
from serving.dashboard import charts
from serving.dashboard.frame import DashboardRoute, ViewerDep, audit_view, blank, choice, render
from serving.dashboard.i18n import translator
from serving.deps import StateDep
from serving.economy import FREQUENCIES, INDEX_WEIGHTS, economy_for
from serving.queries import visible_zones

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)
CHARTS = {  # at most six series a chart (the palette's size)
    "taxes": ("vat_sales", "vat_payable", "cit_prepaid", "invoicing_enterprises"),
    "activity": ("insured_headcount", "electricity_kwh", "ip_events", "new_registrations"),
    "statistics": ("revenue", "output_value", "profit", "rd_expense"),
}


def _percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def _growth_charts(body: dict[str, Any], t: Any, labels: list[str]) -> list[tuple[str, Any]]:
    """Return one year-on-year chart (in %) per group of the measures the frequency holds."""
    out = []
    for group, measures in CHARTS.items():
        shown = [m for m in measures if m in body["measures"]]
        if shown:
            series = [(t(f"economy.{m}"), [_percent(p[m]["yoy"]) for p in body["series"]]) for m in shown]
            out.append((group, charts.line_chart(labels, series, t(f"economy.chart_{group}"))))
    return out


@router.get("/economy")
def economy_page(
    request: Request,
    viewer: ViewerDep,
    state: StateDep,
    zone: str | None = None,
    frequency: str | None = None,
    industry: str | None = None,
) -> Response:
    """One zone's economy as known now, its industries, the visible zones side by side, and the index."""
    zones = visible_zones(viewer.principal)
    zone = blank(zone) or zones[0]
    frequency = choice(frequency, FREQUENCIES, "frequency") or "monthly"
    industry = choice(industry, tuple(INDUSTRY_SECTIONS), "industry")
    body = economy_for(viewer.principal, state.settings, zone, None, frequency, industry)
    audit_view(state, viewer, "GET /economy", detail=f"{zone} {frequency}")
    t = translator(viewer.lang)
    first = next(
        (n for n, p in enumerate(body["series"]) if any(p[m]["yoy"] is not None for m in body["measures"])), 0
    )
    body["series"] = body["series"][first:]  # growth needs a year before: the first year has none
    labels = [p["period"][:7] for p in body["series"]]
    index = [p for p in body["tax_electricity_index"]["periods"] if p["index"] is not None]
    index_series = [(t("economy.index_short"), [p["index"] for p in index])]
    index_series += [(t(f"economy.{c}"), [p["components"][c] for p in index]) for c in INDEX_WEIGHTS]
    return render(
        request,
        "economy.html",
        viewer,
        page="economy",
        zones=zones,
        zone=zone,
        frequency=frequency,
        frequencies=FREQUENCIES,
        industry=industry,
        body=body,
        latest=body["series"][-1] if body["series"] else None,
        growth_charts=_growth_charts(body, t, labels),
        index_chart=charts.line_chart([p["period"][:7] for p in index], index_series, t("economy.index"))
        if index
        else None,
        index_latest=index[-1] if index else None,
    )

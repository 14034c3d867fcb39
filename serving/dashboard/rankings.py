"""The risk ranking: filtered, sorted and paginated on the server, and its CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from serving.dashboard.frame import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    DashboardRoute,
    ViewerDep,
    audit_view,
    blank,
    choice,
    page_count,
    render,
)
from serving.deps import StateDep
from serving.exports import csv_response
from serving.queries import (
    CLASSES,
    GRADES,
    RANKING_COLUMNS,
    SORTS,
    WARNING_KINDS,
    RankingFilter,
    Sort,
    active_warnings_of,
    industries,
    ranking_page,
    ranking_rows,
    visible_zones,
)

router = APIRouter(route_class=DashboardRoute, include_in_schema=False)


RISKIEST_FIRST: Sort = "score"  # a risk ranking opens on the lowest scores


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
        zone=blank(zone),
        industry=blank(industry),
        grade=choice(grade, GRADES, "grade"),
        supervision_class=choice(klass, CLASSES, "class"),
        warning=choice(warning, ("any", *WARNING_KINDS), "warning"),  # type: ignore[arg-type]
    )
    order = choice(sort, SORTS, "sort") or RISKIEST_FIRST
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
    audit_view(state, viewer, "GET /ranking", detail=f"{len(items)} enterprises; page {query.page}")
    return render(
        request,
        "ranking.html",
        viewer,
        page="ranking",
        zones=visible_zones(viewer.principal),
        industries=options,
        query=query,
        total=total,
        pages=page_count(total, query.size),
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
    audit_view(state, viewer, "GET /ranking.csv", detail=f"export of {total} enterprises")

    def rows() -> Iterator[list[Any]]:
        with state.engine.connect() as connection:
            for row in ranking_rows(connection, viewer.principal, query.ranking, query.sort):
                yield [row["rank"], *(row[c] for c in RANKING_COLUMNS)]

    return csv_response(f"ranking-{date.today():%Y%m%d}.csv", ["rank", *RANKING_COLUMNS], rows())

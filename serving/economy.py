"""The zones' economy from the warehouse: monthly and quarterly series with year-on-year growth.

Every source is read as known on the as-of date (records reported by then, their latest versions,
corrections decided by then) and each enterprise counts in the zone and industry section of its
registration on that date. The aggregates of all zones are computed once per warehouse state (the
committed batches and corrections) and as-of, and kept, so each zone, frequency or industry asked
afterwards is a slice of a small table.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from data.contracts import SOURCES
from data.corrections import read_corrections
from data.errors import NotReady
from data.vocabulary import INDUSTRY_SECTIONS
from data.warehouse import committed_batches, read_source
from features.pointintime import as_timestamp, known_records, latest_versions
from serving.errors import ApiError
from serving.keys import Principal
from serving.queries import visible_zone, visible_zones
from serving.rescore import live_as_of
from zonecredit.settings import Settings

# measure -> (source, column or None for a count of records, how a quarter is made of its months)
MEASURES: dict[str, tuple[str, str | None, str]] = {
    "vat_sales": ("tax", "vat_sales", "sum"),
    "vat_payable": ("tax", "vat_payable", "sum"),
    "cit_prepaid": ("tax", "cit_prepaid", "sum"),
    "invoicing_enterprises": ("tax", None, "mean"),
    "insured_headcount": ("social_security", "insured_headcount", "mean"),
    "electricity_kwh": ("utility", "electricity_kwh", "sum"),
    "revenue": ("statistics", "revenue", "sum"),
    "output_value": ("statistics", "output_value", "sum"),
    "profit": ("statistics", "profit", "sum"),
    "rd_expense": ("statistics", "rd_expense", "sum"),
    "ip_events": ("ip", None, "sum"),
    "new_registrations": ("registry", None, "sum"),
}
QUARTERLY_ONLY = tuple(m for m, (source, _, _) in MEASURES.items() if SOURCES[source].grain == "quarterly")
FREQUENCIES = ("monthly", "quarterly")
ZONE_TOTAL = "all"  # the industry key of a zone's totals
INDEX_WEIGHTS = {"production_readiness": 0.30, "capacity": 0.37, "sales": 0.33}
INDEX_NOTES = (
    "production_readiness: the reference weighs new electricity capacity 0.25, new tax "
    "registrations 0.25 and purchases 0.50; our sources hold neither capacity applications nor "
    "purchase (input) invoices, so readiness is the new-registration ratio alone (new enterprises "
    "established in the period, from the registry, against the same period a year before)",
    "sales: invoiced amount is substituted by VAT taxable sales and invoicing enterprises by the "
    "enterprises filing positive taxable sales (no invoice feed)",
    "capacity: electricity consumed against the same period a year before",
    "a component without its year-before value (no data or zero) is left out of that period and the "
    "remaining weights are rescaled to sum to 1; components_used lists what each period holds",
)
_CACHE: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_CACHE_SIZE = 4
_LOCK = threading.Lock()


def warehouse_fingerprint(home: Path) -> tuple[str, ...]:
    """Return the committed batches of every source: any new commit changes it."""
    return tuple(f"{s}/{b.name}" for s in SOURCES for b in committed_batches(s, home))


def _known(
    source: str, home: Path, as_of: pd.Timestamp, corrections: pd.DataFrame, columns: list[str]
) -> pd.DataFrame:
    """Return ``columns`` of a source's records as known on ``as_of`` (keys and lineage read too)."""
    contract = SOURCES[source]
    wanted = list(
        dict.fromkeys([*contract.key, str(contract.period_column), *columns, "reported_on", "loaded_at"])
    )
    known = known_records(read_source(source, home, columns=wanted), contract, as_of, corrections, False)
    repeated = known.duplicated(list(contract.key), keep=False).to_numpy()  # restated records only
    if not repeated.any():
        return known
    return pd.concat([known[~repeated], latest_versions(known[repeated], contract)])


def _registrations(registry: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Return each enterprise's zone, industry section and establishment month on ``as_of``."""
    rows = registry[(registry["established_on"] <= as_of).to_numpy(bool)]
    rows = rows.sort_values(["credit_code", "status_changed_on"], kind="stable")
    latest = rows.drop_duplicates("credit_code", keep="last").set_index("credit_code")
    return pd.DataFrame(
        {
            "zone": latest["zone"].astype(str),
            "industry": latest["industry"].astype(str).str[:1],
            "established": latest["established_on"].dt.to_period("M").dt.start_time,
        }
    )


def _monthly_totals(frame: pd.DataFrame, period: str, values: dict[str, pd.Series]) -> pd.DataFrame:
    """Sum ``values`` by zone, industry section and month, with the zone totals as industry ``all``."""
    keyed = pd.DataFrame({"zone": frame["zone"], "industry": frame["industry"], "period": frame[period]})
    keyed = keyed.assign(**{name: series.to_numpy() for name, series in values.items()})
    by_industry = keyed.groupby(["zone", "industry", "period"], sort=False).sum()
    by_zone = keyed.drop(columns="industry").groupby(["zone", "period"], sort=False).sum()
    by_zone = by_zone.assign(industry=ZONE_TOTAL).set_index("industry", append=True)
    return pd.concat([by_industry, by_zone.reorder_levels(["zone", "industry", "period"])])


def monthly_levels(home: Path, as_of: date, database_url: str) -> pd.DataFrame:
    """Return every measure's level by (zone, industry section or ``all``, period start), as known.

    Monthly sources give months, statistics quarters (their period start); cached per warehouse
    state, corrections and as-of.
    """
    stamp = as_timestamp(as_of)
    corrections = read_corrections(as_of, database_url)
    newest = str(corrections["correction_id"].iloc[-1]) if len(corrections) else None
    key = (str(home), warehouse_fingerprint(home), len(corrections), newest, stamp)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    registry = _registrations(
        _known("registry", home, stamp, corrections, ["zone", "industry", "established_on"]), stamp
    )
    parts = []
    for source in ("tax", "social_security", "utility", "statistics", "ip"):
        measures = {m: column for m, (s, column, _) in MEASURES.items() if s == source}
        frame = _known(source, home, stamp, corrections, [c for c in measures.values() if c])
        period = str(SOURCES[source].period_column)
        where = registry.index.get_indexer(pd.Index(frame["credit_code"]))  # -1: no registration known
        frame = frame.iloc[where >= 0].assign(
            zone=registry["zone"].to_numpy()[where[where >= 0]],
            industry=registry["industry"].to_numpy()[where[where >= 0]],
        )
        if source == "ip":
            frame = frame.assign(event_on=frame["event_on"].dt.to_period("M").dt.start_time)
        values = {
            m: (frame[column].astype(float) if column else pd.Series(1.0, index=frame.index))
            for m, column in measures.items()
        }
        if source == "tax":
            values["invoicing_enterprises"] = (frame["vat_sales"] > 0).astype(float)
        parts.append(_monthly_totals(frame, period, values))
    parts.append(
        _monthly_totals(registry, "established", {"new_registrations": pd.Series(1.0, registry.index)})
    )
    levels = pd.concat(parts, axis=1).sort_index()
    counts = [m for m, (_, column, _) in MEASURES.items() if column is None and m != "invoicing_enterprises"]
    levels[counts] = levels[counts].fillna(0.0)  # no event in a month is a zero, not a gap
    reported = levels[["vat_sales", "insured_headcount", "electricity_kwh"]].notna().any(axis=1)
    months = levels.index.get_level_values("period")[reported.to_numpy()]
    periods = levels.index.get_level_values("period")
    levels = levels[
        ((periods >= months.min()) & (periods <= months.max())) if len(months) else periods.isna()
    ]
    with _LOCK:
        _CACHE[key] = levels
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return levels


def _quarterly(levels: pd.DataFrame) -> pd.DataFrame:
    """Return quarters: monthly flows summed and stocks averaged over quarters with all three months."""
    monthly = levels.drop(columns=list(QUARTERLY_ONLY))
    stamps = pd.DatetimeIndex(monthly.index.get_level_values("period"))
    quarter = stamps.to_period("Q").start_time
    grouped = monthly.groupby([monthly.index.get_level_values(0), monthly.index.get_level_values(1), quarter])
    how = {m: MEASURES[m][2] for m in monthly.columns}
    out = grouped.agg(how).where(grouped.count() == 3)
    out.index.names = ["zone", "industry", "period"]
    statistics = levels[list(QUARTERLY_ONLY)].dropna(how="all")
    return out.join(statistics, how="outer")


def _yoy(frame: pd.DataFrame, lag: int) -> pd.DataFrame:
    """Return value / value of the same period a year before − 1; missing where that is absent or ≤ 0."""
    shifted = pd.DatetimeIndex(frame.index.get_level_values("period")) + pd.DateOffset(months=lag)
    before = frame.set_axis(
        pd.MultiIndex.from_arrays(
            [frame.index.get_level_values(0), frame.index.get_level_values(1), shifted],
            names=frame.index.names,
        )
    )
    prior = before.reindex(frame.index)
    return (frame / prior.where(prior > 0) - 1).where(prior > 0)


def _index(levels: pd.DataFrame, yoy: pd.DataFrame) -> pd.DataFrame:
    """Return the tax–electricity index and its components (ratios to a year before × 100)."""
    ratio = 1 + yoy
    components = pd.DataFrame(
        {
            "production_readiness": ratio["new_registrations"] * 100,
            "capacity": ratio["electricity_kwh"] * 100,
            "sales": (ratio["vat_sales"] * 0.5 + ratio["invoicing_enterprises"] * 0.5) * 100,
        },
        index=levels.index,
    )
    weights = pd.Series(INDEX_WEIGHTS)
    present = components.notna()
    weight_sum = present.mul(weights).sum(axis=1)
    index = components.fillna(0).mul(weights).sum(axis=1) / weight_sum.where(weight_sum > 0)
    return components.assign(index=index)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)


def _series(levels: pd.DataFrame, yoy: pd.DataFrame, measures: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "period": f"{period:%Y-%m-%d}",
            **{
                m: {"value": _number(levels.at[period, m]), "yoy": _number(yoy.at[period, m])}
                for m in measures
            },
        }
        for period in levels.index
    ]


def zone_economy(
    home: Path,
    database_url: str,
    zone: str,
    as_of: date,
    frequency: str,
    industry: str | None,
    zones: list[str],
) -> dict[str, Any]:
    """Return one zone's economy (zone totals, by industry, the index) and the comparison of ``zones``."""
    levels = monthly_levels(home, as_of, database_url)
    table = _quarterly(levels) if frequency == "quarterly" else levels.drop(columns=list(QUARTERLY_ONLY))
    table = table.dropna(how="all")
    measures = [m for m in MEASURES if m in table.columns]
    yoy = _yoy(table[measures], 12)

    def rows(of: pd.DataFrame, where: str, section: str) -> pd.DataFrame:
        """Return the rows of one zone and industry (or ``all``), indexed by period."""
        mask = (of.index.get_level_values("zone") == where) & (
            of.index.get_level_values("industry") == section
        )
        return of[mask].droplevel(["zone", "industry"])

    totals, zone_yoy = rows(table, zone, ZONE_TOTAL), rows(yoy, zone, ZONE_TOTAL)
    in_zone = table.index.get_level_values("zone") == zone
    sections = sorted(set(table.index.get_level_values("industry")[in_zone]) - {ZONE_TOTAL})
    by_industry = {
        i: _series(rows(table, zone, i), rows(yoy, zone, i), measures)
        for i in ([industry] if industry else sections)
        if i in sections
    }
    index = _index(totals, zone_yoy)
    comparison = []
    for other in zones:
        own, own_yoy = rows(table, other, ZONE_TOTAL), rows(yoy, other, ZONE_TOTAL)
        if own.empty:
            continue
        latest = own.index.max()
        comparison.append({"zone": other, **_series(own.loc[[latest]], own_yoy.loc[[latest]], measures)[0]})
    return {
        "zone": zone,
        "as_of": as_of,
        "frequency": frequency,
        "industry": industry,
        "measures": measures,
        "not_in_frequency": [m for m in MEASURES if m not in measures],
        "series": _series(totals, zone_yoy, measures),
        "industries": sections,
        "by_industry": by_industry,
        "comparison": comparison,
        "tax_electricity_index": {
            "weights": INDEX_WEIGHTS,
            "neutral": 100.0,
            "notes": list(INDEX_NOTES),
            "not_computed": ["new electricity capacity (新增扩容量)", "purchases (采购额)"],
            "periods": [
                {
                    "period": f"{period:%Y-%m-%d}",
                    "index": _number(row["index"]),
                    "components": {c: _number(row[c]) for c in INDEX_WEIGHTS},
                    "components_used": [c for c in INDEX_WEIGHTS if not pd.isna(row[c])],
                }
                for period, row in index.iterrows()
            ],
        },
    }


def economy_for(
    principal: Principal,
    settings: Settings,
    zone: str,
    as_of: date | None = None,
    frequency: str = "monthly",
    industry: str | None = None,
) -> dict[str, Any]:
    """Return a visible zone's economy on ``as_of`` (default: the latest date the data support).

    Refuses (422) an unknown zone, frequency or industry section and an as-of later than the data,
    and (404) a zone outside the caller's scope; the comparison holds the zones the caller may see.
    """
    visible_zone(zone, principal)
    if frequency not in FREQUENCIES:
        raise ApiError(422, f"unknown frequency {frequency!r}; frequencies are {', '.join(FREQUENCIES)}")
    if industry is not None and industry not in INDUSTRY_SECTIONS:
        raise ApiError(
            422, f"unknown industry section {industry!r}; sections are {', '.join(INDUSTRY_SECTIONS)}"
        )
    try:
        latest = live_as_of(settings.home)
    except NotReady as exc:  # nothing committed yet
        raise ApiError(404, f"no data for zone {zone} yet: {exc}") from None
    as_of = as_of or latest
    if as_of > latest:
        raise ApiError(422, f"as_of {as_of} is after the latest date the data support ({latest})")
    return zone_economy(
        settings.home,
        settings.resolved_database_url,
        zone,
        as_of,
        frequency,
        industry,
        visible_zones(principal),
    )

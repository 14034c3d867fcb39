"""Benchmark the feature pipeline: whole feature set per as-of date, and windows against DuckDB.

    uv run python -m bench.bench_features --enterprises 10000,100000

Generates loaded-dtype frames with numpy (48 months per enterprise), times ``compute_features``
for one as-of date with its peak memory, then times a shared set of windowed aggregates written
twice, with the pipeline's dense-matrix windows and as DuckDB SQL, checks they agree and prints the
ratio. Aims (SPEC §8 sizes): 100,000 enterprises under 20 s, windows within 1.5× of DuckDB.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import psutil

from bench.common import machine, print_table
from data.contracts import SOURCES
from features.compute import MONTHS, compute_features, latest_reported_period
from features.registry import FEATURE_NAMES
from features.windows import Series, dense_matrices, month_number, positions

AS_OF = pd.Timestamp("2025-07-01")
HISTORY_MONTHS = 48
REPORTING_LAG = {"tax": (1, 14), "social_security": (2, -1), "utility": (1, 9)}  # months, days


def _lineage(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    frame["batch_id"] = "bench"
    frame["row_number"] = np.arange(1, len(frame) + 1, dtype=np.int64)
    frame["loaded_at"] = pd.Timestamp("2025-08-01").as_unit("us")
    template = dict(zip(*_dtypes(source), strict=True))
    for column in template.keys() - frame.columns:  # optional columns the bench does not fill
        frame[column] = None  # (e.g. source_record, national layouts' raw row): empty, as when read
    return frame[list(template)].astype(template)  # type: ignore[arg-type]


def _dtypes(source: str) -> tuple[list[str], list[object]]:
    from data.contracts import empty_frame

    dtypes = empty_frame(SOURCES[source]).dtypes
    return list(dtypes.index), list(dtypes.to_numpy())


def _monthly(
    codes: np.ndarray, rng: np.random.Generator, source: str, measures: dict[str, Callable[[int], np.ndarray]]
) -> pd.DataFrame:
    n = len(codes)
    first = month_number(np.array([AS_OF]))[0] - HISTORY_MONTHS
    months = np.tile(np.arange(first, first + HISTORY_MONTHS), n)
    keep = rng.random(n * HISTORY_MONTHS) > 0.03  # some months never delivered
    period = months.astype("datetime64[M]")[keep]
    lag_months, lag_days = REPORTING_LAG[source]
    reported = (period + lag_months).astype("datetime64[D]") + lag_days
    frame = pd.DataFrame(
        {
            "credit_code": np.repeat(codes, HISTORY_MONTHS)[keep],
            "period": period.astype("datetime64[s]"),
            "reported_on": reported.astype("datetime64[s]"),
        }
    )
    for name, draw in measures.items():
        frame[name] = draw(n * HISTORY_MONTHS)[keep]
    return _lineage(frame, source)


def generate(n: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Return loaded-dtype records of ``n`` enterprises with 48 months of history."""
    rng = np.random.default_rng(seed)
    codes = np.array([f"91120116MA{i:07d}X" for i in range(n)], dtype=object)

    def lognormal(scale: float) -> Callable[[int], np.ndarray]:
        return lambda k: rng.lognormal(np.log(scale), 1.0, k)

    established = AS_OF - pd.to_timedelta(rng.integers(200, 6000, n), unit="D")
    registry = pd.DataFrame(
        {
            "credit_code": codes,
            "name": "bench",
            "zone": rng.choice(["teda", "bonded", "hitech"], n),
            "industry": rng.choice(["C36", "C39", "I65", "L71", "M73"], n),
            "entity_type": "1",
            "registered_capital": rng.lognormal(6, 1.5, n),
            "established_on": established,
            "status": "active",
            "status_changed_on": established,
            "legal_rep_id": None,
            "reported_on": established,
        }
    )
    tax = _monthly(
        codes,
        rng,
        "tax",
        {
            "vat_sales": lognormal(1e5),
            "vat_payable": lognormal(1e4),
            "cit_prepaid": lognormal(2e3),
            "filed_on_time": lambda k: rng.random(k) > 0.05,
            "zero_return": lambda k: rng.random(k) < 0.05,
            "arrears_balance": lambda k: np.where(rng.random(k) < 0.03, rng.lognormal(8, 1, k), 0.0),
            "arrears_days": lambda k: np.where(rng.random(k) < 0.03, rng.integers(1, 300, k), 0),
        },
    )
    social = _monthly(
        codes,
        rng,
        "social_security",
        {
            "insured_headcount": lambda k: rng.poisson(20, k),
            "contribution_base": lognormal(1e5),
            "due": lognormal(3e4),
            "paid": lognormal(3e4),
            "arrears_months": lambda k: rng.poisson(0.1, k),
        },
    )
    utility = _monthly(
        codes,
        rng,
        "utility",
        {
            "electricity_kwh": lognormal(8e3),
            "water_m3": lognormal(100),
            "gas_m3": lognormal(40),
            "billed": lognormal(7e3),
            "paid": lognormal(7e3),
            "arrears_balance": lambda k: np.where(rng.random(k) < 0.03, rng.lognormal(7, 1, k), 0.0),
        },
    )
    above_scale = codes[rng.random(n) < 0.3]
    quarters = pd.date_range(AS_OF - pd.DateOffset(months=HISTORY_MONTHS), periods=16, freq="QS")
    statistics = pd.DataFrame(
        {
            "credit_code": np.repeat(above_scale, 16),
            "period": np.tile(quarters.to_numpy("datetime64[s]"), len(above_scale)),
        }
    )
    k = len(statistics)
    statistics = statistics.assign(
        revenue=rng.lognormal(8, 1, k),
        output_value=rng.lognormal(8, 1, k),
        profit=rng.normal(100, 300, k),
        employees=rng.poisson(80, k),
        rd_expense=rng.lognormal(4, 1, k),
        total_assets=rng.lognormal(9, 1, k),
        total_liabilities=rng.lognormal(8.5, 1, k),
        reported_on=statistics["period"] + pd.DateOffset(months=3, days=19),
    )
    grades = pd.DataFrame(
        {
            "credit_code": np.repeat(codes, 4),
            "year": np.tile([2021, 2022, 2023, 2024], n),
            "grade": rng.choice(list("ABMCD"), 4 * n, p=[0.1, 0.6, 0.1, 0.13, 0.07]),
        }
    )
    grades["reported_on"] = pd.to_datetime((grades["year"] + 1).astype(str) + "-04-30")
    n_ip = n // 2
    ip = pd.DataFrame(
        {
            "credit_code": rng.choice(codes, n_ip),
            "ip_id": [f"ZL{i}" for i in range(n_ip)],
            "event_on": AS_OF - pd.to_timedelta(rng.integers(1, 1500, n_ip), unit="D"),
            "kind": rng.choice(SOURCES["ip"].column("kind").choices, n_ip),
            "amount": rng.lognormal(5, 1, n_ip),
        }
    )
    ip["reported_on"] = ip["event_on"]
    n_events = n // 3
    occurred = AS_OF - pd.to_timedelta(rng.integers(1, 1500, n_events), unit="D")
    repaired = occurred + pd.to_timedelta(rng.integers(90, 700, n_events), unit="D")
    events = pd.DataFrame(
        {
            "event_id": [f"E{i}" for i in range(n_events)],
            "credit_code": rng.choice(codes, n_events),
            "kind": rng.choice(SOURCES["credit_events"].column("kind").choices, n_events),
            "severity": rng.choice(["minor", "general", "serious"], n_events),
            "occurred_on": occurred,
            "published_on": occurred,
            "repaired_on": repaired.where(rng.random(n_events) < 0.4),
            "removed_on": pd.NaT,
            "department": "bench",
            "reported_on": occurred,
        }
    )
    return {
        "registry": _lineage(registry, "registry"),
        "tax": tax,
        "social_security": social,
        "utility": utility,
        "statistics": _lineage(statistics, "statistics"),
        "tax_grade": _lineage(grades, "tax_grade"),
        "ip": _lineage(ip, "ip"),
        "credit_events": _lineage(events, "credit_events"),
    }


@dataclass(frozen=True)
class Aggregate:
    source: str
    column: str
    stat: str
    window: int

    @property
    def name(self) -> str:
        return f"{self.source}.{self.column}.{self.stat}_{self.window}m"


SHARED = [
    *[
        Aggregate("tax", "vat_sales", s, w)
        for s, w in [
            ("mean", 3),
            ("mean", 6),
            ("mean", 12),
            ("mean", 24),
            ("sum", 12),
            ("std", 12),
            ("slope", 12),
            ("slope", 24),
            ("count", 12),
        ]
    ],
    *[
        Aggregate("social_security", "insured_headcount", s, w)
        for s, w in [("mean", 3), ("mean", 12), ("std", 12), ("slope", 6), ("slope", 12)]
    ],
    *[
        Aggregate("utility", "electricity_kwh", s, w)
        for s, w in [
            ("mean", 3),
            ("mean", 12),
            ("mean", 24),
            ("sum", 12),
            ("std", 12),
            ("slope", 12),
            ("slope", 24),
        ]
    ],
]


def windows_numpy(records: dict[str, pd.DataFrame], enterprises: pd.Index) -> pd.DataFrame:
    """The shared aggregates the pipeline's way: dense matrices, then array windows."""
    out = {}
    for source in ("tax", "social_security", "utility"):
        frame = records[source]
        known = (frame["reported_on"] <= AS_OF).to_numpy(bool)
        wanted = [a for a in SHARED if a.source == source]
        columns = {a.column: frame[a.column].to_numpy() for a in wanted}
        matrices = dense_matrices(
            rows=np.where(known, positions(frame["credit_code"], enterprises), -1),
            periods=month_number(frame["period"]),
            last_period=int(month_number(np.array([latest_reported_period(source, AS_OF)]))[0]),
            n_rows=len(enterprises),
            n_periods=MONTHS,
            columns=columns,
            version_order=(),
        )
        for a in wanted:
            out[a.name] = getattr(Series(matrices[a.column]), a.stat)(a.window)
    return pd.DataFrame(out, index=enterprises)


_SQL = {
    "mean": "avg(v) FILTER (WHERE m < {w})",
    "sum": "sum(v) FILTER (WHERE m < {w})",
    "count": "count(v) FILTER (WHERE m < {w})",
    "std": "stddev_samp(v) FILTER (WHERE m < {w})",
    "slope": "regr_slope(v, -m) FILTER (WHERE m < {w})",
}


def windows_duckdb(records: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The shared aggregates as DuckDB SQL over the same long frames (the reference)."""
    results = []
    for source in ("tax", "social_security", "utility"):
        wanted = [a for a in SHARED if a.source == source]
        column = wanted[0].column
        anchor = latest_reported_period(source, AS_OF)
        con.register("records", records[source])
        selects = ", ".join(f'{_SQL[a.stat].format(w=a.window)} AS "{a.name}"' for a in wanted)
        query = f"""
            WITH known AS (
                SELECT credit_code, CAST({column} AS DOUBLE) AS v,
                       datediff('month', period, TIMESTAMP '{anchor}') AS m
                FROM records WHERE reported_on <= TIMESTAMP '{AS_OF}'
            )
            SELECT credit_code, {selects} FROM known WHERE m BETWEEN 0 AND {MONTHS - 1}
            GROUP BY credit_code
        """
        results.append(con.execute(query).df().set_index("credit_code"))
        con.unregister("records")
    return pd.concat(results, axis=1)


class PeakMemory:
    """Peak resident memory above the starting level, sampled every 5 ms."""

    def __enter__(self) -> PeakMemory:
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def megabytes(self) -> float:
        return (self.peak - self.start) / 2**20


def _best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def bench(n: int, repeats: int) -> list[object]:
    """Return one table row: the whole feature set, then the shared aggregates vs DuckDB."""
    records = generate(n)
    with PeakMemory() as memory:
        seconds, features = _best_of(1, lambda: compute_features(records, AS_OF))
    assert isinstance(features, pd.DataFrame) and len(features) == n

    enterprises = pd.Index(np.sort(records["registry"]["credit_code"].to_numpy(str)), dtype="str")
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    ours_s, ours = _best_of(repeats, lambda: windows_numpy(records, enterprises))
    duck_s, duck = _best_of(repeats, lambda: windows_duckdb(records, con))
    assert isinstance(ours, pd.DataFrame) and isinstance(duck, pd.DataFrame)
    duck = duck.reindex(ours.index)[ours.columns]
    agree = np.allclose(ours.to_numpy(float), duck.to_numpy(float), rtol=1e-9, atol=1e-6, equal_nan=True)
    return [
        f"{n:,}",
        f"{len(records['tax']):,}",
        len(FEATURE_NAMES),
        f"{seconds:.2f}",
        f"+{memory.megabytes:,.0f}",
        len(SHARED),
        f"{duck_s:.3f}",
        f"{ours_s:.3f}",
        f"{ours_s / duck_s:.2f}×",
        "yes" if agree else "NO",
    ]


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", default="10000,100000", help="comma-separated enterprise counts")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = [bench(int(x), args.repeats) for x in args.enterprises.split(",")]
    return print_table(
        f"Features for one as-of date, and windowed aggregates against DuckDB SQL — {machine()}",
        [
            "enterprises",
            "tax rows",
            "features",
            "whole set s",
            "peak MiB",
            "shared aggregates",
            "DuckDB s",
            "ours s",
            "ours / DuckDB",
            "same results",
        ],
        rows,
    )


if __name__ == "__main__":
    main()

"""Worlds for model tests: hand-made feature panels (fast) and a small synthetic world (slow).

``synthetic_panel`` draws feature rows under the registry's names with labels from a known
logistic model whose signs follow the registry directions, on as-of dates spaced so that
``split_out_of_time`` finds train, validation and test periods. Features the model does not
drive stay missing, which LightGBM skips cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.credit_code import make_credit_code
from features.labels import get_label
from features.registry import CATEGORIES, FEATURE_NAMES, FEATURE_SET_VERSION, FEATURES_BY_NAME

ZONES = CATEGORIES["reg_zone"]
ZONE_SHIFT = {"teda": -0.1, "bonded": 0.0, "hitech": -0.2, "dongjiang": 0.15, "ecocity": 0.1}
# as-of offsets (months) giving train, validation and test periods a 12-month gap apart
AS_OF_OFFSETS = (0, 1, 2, 3, 16, 17, 18, 31, 32, 33)


def as_of_dates(start: str = "2022-06-30", offsets: tuple[int, ...] = AS_OF_OFFSETS) -> list[pd.Timestamp]:
    base = pd.Timestamp(start)
    return [base + pd.offsets.MonthEnd(k) if k else base for k in offsets]


def feature_rows(n: int, dates: list[pd.Timestamp], seed: int = 0) -> pd.DataFrame:
    """Return ``n`` enterprises × ``dates`` feature rows with every registry column."""
    rng = np.random.default_rng(seed)
    rows = n * len(dates)
    codes = np.asarray([make_credit_code(f"T{i:07d}") for i in range(n)], dtype=object)
    data: dict[str, object] = {
        "credit_code": pd.array(np.tile(codes, len(dates)), dtype="str"),
        "as_of": np.repeat(np.asarray(dates, dtype="datetime64[s]"), n),
    }
    for name in FEATURE_NAMES:
        if FEATURES_BY_NAME[name].kind == "numeric":
            data[name] = np.full(rows, np.nan)
    data |= {
        "tax_arrears_months_12m": rng.poisson(0.6, rows).astype(float).clip(0, 12),
        "ss_arrears_months_last": rng.poisson(0.3, rows).astype(float),
        "util_paid_ratio_12m": rng.beta(8, 1, rows),
        "tax_vat_sales_mean_12m": rng.lognormal(12, 1.5, rows),
        "tax_vat_sales_mean_3m": rng.lognormal(12, 1.5, rows),
        "ss_headcount_last": rng.poisson(30, rows).astype(float),
        "util_electricity_mean_3m": rng.lognormal(9, 1, rows),
        "ip_trademark_count_12m": rng.poisson(0.5, rows).astype(float),
        "reg_age_months": rng.uniform(6, 240, rows),
        "ce_active_serious_dishonesty": (rng.random(rows) < 0.03).astype(float),
        "ce_active_judgment_defaulter": (rng.random(rows) < 0.02).astype(float),
        "ce_active_abnormal_operation": (rng.random(rows) < 0.05).astype(float),
        "ce_active_unrepaired_general": rng.poisson(0.3, rows).astype(float),
        "tg_last_is_d": (rng.random(rows) < 0.05).astype(float),
        "stat_revenue_sum_4q": rng.normal(0, 1, rows),  # noise: no effect on any label
    }
    zone = rng.choice(np.asarray(ZONES, dtype=object), rows)
    for name, levels in CATEGORIES.items():
        values = zone if name == "reg_zone" else rng.choice(np.asarray(levels, dtype=object), rows)
        data[name] = pd.Categorical(values, categories=levels)
    return pd.DataFrame(data)


def _risk_logit(rows: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    zone = rows["reg_zone"].astype("str").map(ZONE_SHIFT).to_numpy(np.float64)
    return (
        -2.2
        + 0.55 * rows["tax_arrears_months_12m"]
        + 0.7 * rows["ss_arrears_months_last"]
        - 3.0 * (rows["util_paid_ratio_12m"] - 0.9)
        + 1.5 * rows["ce_active_serious_dishonesty"]
        + 0.8 * rows["ce_active_abnormal_operation"]
        + 0.6 * rows["ce_active_unrepaired_general"]
        - 0.25 * (np.log(rows["tax_vat_sales_mean_12m"]) - 12)
        - 0.003 * rows["reg_age_months"]
        + zone
        + rng.normal(0, 0.3, len(rows))
    ).to_numpy(np.float64)


def synthetic_panel(kind: str = "credit", n: int = 800, seed: int = 0) -> pd.DataFrame:
    """Return a panel like ``build_panel``'s for ``kind``, labels drawn from a known model."""
    rng = np.random.default_rng(seed + 1)
    panel = feature_rows(n, as_of_dates(), seed)
    logit = _risk_logit(panel, rng)
    if kind == "activity":
        logit = 1.5 - 0.8 * logit
    label = get_label(kind)
    panel[label.column] = (rng.random(len(panel)) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    panel["true_probability"] = 1 / (1 + np.exp(-logit))
    panel.attrs.update(
        label=label.name,
        label_column=label.column,
        label_window_months=12,
        feature_set_version=FEATURE_SET_VERSION,
    )
    return panel


@dataclass(frozen=True)
class SmallWorld:
    """A generated and ingested synthetic world: its data directory and its ground truth."""

    home: Path
    truth_dir: Path


def small_world(
    root: Path, enterprises: int = 1500, months: int = 60, seed: int = 7, buckets: int = 1
) -> SmallWorld:
    """Generate a world and ingest every source into ``buckets`` warehouse buckets under ``root/home``."""
    from data.contracts import SOURCES
    from data.ingest import ingest_files
    from data.synth import generate_world

    out = root / "world"
    generate_world(out, enterprises=enterprises, months=months, seed=seed)
    home = root / "home"
    for source in SOURCES:
        ingest_files(source, [out / "sources" / source], home, buckets=buckets)
    return SmallWorld(home, out / "truth")

"""Enterprise activity score and the zone activity index with its component series (SPEC §5).

The index of a zone in a month is the weighted mean of component indices, each 100 × the zone's
aggregate in that month over its aggregate in the base period, so an administrator sees which
component moved it: taxable sales, insured employment, electricity and IP activity.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

ACTIVITY_SCORE_COLUMN = "activity_score"
# Component → feature columns summed over the zone's enterprises.
COMPONENTS: dict[str, tuple[str, ...]] = {
    "tax": ("tax_vat_sales_mean_3m",),
    "employment": ("ss_headcount_last",),
    "electricity": ("util_electricity_mean_3m",),
    "ip": (
        "ip_invention_application_count_12m",
        "ip_invention_grant_count_12m",
        "ip_utility_grant_count_12m",
        "ip_trademark_count_12m",
    ),
}
EQUAL_WEIGHTS: dict[str, float] = dict.fromkeys(COMPONENTS, 0.25)


def zone_activity_index(
    rows: pd.DataFrame,
    base_period: pd.Timestamp | None = None,
    weights: Mapping[str, float] = EQUAL_WEIGHTS,
    zone_column: str = "reg_zone",
) -> pd.DataFrame:
    """Return one row per (zone, as_of): ``index``, the component indices and, if scored, the
    mean activity score (also as an index); base period (default: the earliest as-of) = 100.

    ``rows`` are feature rows (optionally joined with ``activity_score``) of many enterprises
    and as-of months.
    """
    frame = pd.DataFrame(
        {
            "zone": rows[zone_column].astype("str").to_numpy(),
            "as_of": pd.to_datetime(rows["as_of"]).to_numpy(),
        }
    )
    for component, columns in COMPONENTS.items():
        frame[component] = np.nansum(rows[list(columns)].to_numpy(np.float64, na_value=np.nan), axis=1)
    aggregations: dict[str, tuple[str, str]] = {c: (c, "sum") for c in COMPONENTS}
    aggregations["enterprises"] = ("zone", "size")
    if ACTIVITY_SCORE_COLUMN in rows:
        frame[ACTIVITY_SCORE_COLUMN] = rows[ACTIVITY_SCORE_COLUMN].to_numpy(np.float64)
        aggregations["mean_activity_score"] = (ACTIVITY_SCORE_COLUMN, "mean")
    levels = frame.groupby(["zone", "as_of"], sort=True).agg(**aggregations).reset_index()
    base = levels["as_of"].min() if base_period is None else pd.Timestamp(base_period)
    if not (levels["as_of"] == base).any():
        raise ValueError(f"base period {base:%Y-%m-%d} is not among the as-of months of the rows")
    at_base = levels[levels["as_of"] == base].set_index("zone")
    indexed = [c for c in (*COMPONENTS, "mean_activity_score") if c in levels]
    for component in indexed:
        reference = levels["zone"].map(at_base[component]).to_numpy(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            levels[f"{component}_index"] = np.where(
                reference > 0, 100.0 * levels[component] / reference, np.nan
            )
    # A component without a base value (no IP in the base month) drops out; the rest reweight.
    values = np.column_stack([levels[f"{c}_index"].to_numpy(np.float64) for c in weights])
    weight = np.broadcast_to(np.asarray(list(weights.values()), dtype=np.float64), values.shape)
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        index = np.nansum(values * weight, axis=1) / np.where(present, weight, 0.0).sum(axis=1)
    levels.insert(2, "index", index)
    return levels

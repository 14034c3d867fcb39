"""SHAP contributions of a scoring model as DataFrames, for analysts and notebooks.

The same TreeSHAP values that the reasons are worded from (``ScoringModel.contributions``),
with feature names and registry texts attached, so an analyst needs no index arithmetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.registry import FEATURES_BY_NAME
from models.scoring import PROBABILITY_COLUMN, ScoringModel

EXPECTED_VALUE = "expected_value"


def shap_values(model: ScoringModel, rows: pd.DataFrame) -> pd.DataFrame:
    """Return one column per model feature plus ``expected_value``, one row per row of ``rows``.

    Values are in the booster's log-odds, so each row sums to the uncalibrated log-odds of the
    modelled outcome (default, staying unrepaired, or being active).
    """
    columns = [*model.spec.features, EXPECTED_VALUE]
    return pd.DataFrame(model.contributions(rows), index=rows.index, columns=columns)


def explain_enterprise(
    model: ScoringModel, rows: pd.DataFrame, credit_code: str | None = None, top: int = 10
) -> pd.DataFrame:
    """Return the ``top`` features that move one enterprise's probability most, strongest first.

    ``rows`` are feature rows; ``credit_code`` picks the enterprise when they hold several, and of
    its rows the latest as-of is explained. Each feature comes with its value, its contribution
    (log-odds), which way it pushes the probability, and its meaning in Chinese and English.
    """
    chosen = rows if credit_code is None else rows[rows["credit_code"] == credit_code]
    if chosen.empty:
        raise ValueError(f"no feature row for enterprise {credit_code}")
    if chosen["credit_code"].nunique() > 1:
        raise ValueError(
            f"rows hold {chosen['credit_code'].nunique()} enterprises; name one with credit_code"
        )
    row = chosen.sort_values("as_of", kind="stable").tail(1) if "as_of" in chosen else chosen.tail(1)
    contributions = shap_values(model, row).drop(columns=EXPECTED_VALUE).iloc[0]
    order = np.argsort(-contributions.abs().to_numpy(), kind="stable")[:top]
    features = contributions.index[order]
    target = PROBABILITY_COLUMN[model.kind]
    values = contributions.iloc[order].to_numpy()
    return pd.DataFrame(
        {
            "feature": features,
            "value": row[features].iloc[0].to_numpy(dtype=object),
            "contribution": values,
            "effect": np.where(values > 0, f"raises {target}", f"lowers {target}"),
            "actionable": [FEATURES_BY_NAME[n].actionable for n in features],
            "description_zh": [FEATURES_BY_NAME[n].description_zh for n in features],
            "description_en": [FEATURES_BY_NAME[n].description_en for n in features],
        }
    )

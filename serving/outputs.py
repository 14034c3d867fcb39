"""Model output frames → the public JSON records of the API, column-wise rather than row-wise.

The same function words a batch of 100,000 stored scores and an online call on 1,000 feature rows,
so a precomputed score and a freshly computed one are byte-for-byte the same shape.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd

from models.activity import COMPONENTS, EQUAL_WEIGHTS
from models.preprocess import Columns

REASON_FIELDS = ("feature", "zh", "en", "contribution")


def _text(values: Any) -> list[str | None]:
    return [v if isinstance(v, str) and v else None for v in np.asarray(values, dtype=object)]


def _iso_dates(values: Any) -> list[str | None]:
    days = np.asarray(values, dtype="datetime64[D]")
    text = np.datetime_as_string(days).astype(object)
    text[np.isnat(days)] = None
    return text.tolist()


def reason_lists(columns: Columns, n: int) -> list[list[dict[str, Any]]]:
    """Return, per row, the reasons present in ``reason_{i}_*`` columns (blank ones left out)."""
    count = sum(1 for c in map(str, columns) if c.startswith("reason_") and c.endswith("_feature"))
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for i in range(1, count + 1):
        features = _text(columns[f"reason_{i}_feature"])
        zh, en = _text(columns[f"reason_{i}_zh"]), _text(columns[f"reason_{i}_en"])
        strength = np.round(np.asarray(columns[f"reason_{i}_contribution"], dtype=np.float64), 4).tolist()
        for row, feature in enumerate(features):
            if feature is not None:
                out[row].append(
                    {"feature": feature, "zh": zh[row], "en": en[row], "contribution": strength[row]}
                )
    return out


SCORE_FIELDS = (
    "credit_code",
    "as_of",
    "pd",
    "score",
    "grade",
    "supervision_class",
    "override_reason_zh",
    "override_reason_en",
    "reasons",
    "model",
    "model_version",
    "model_fingerprint",
    "feature_set_version",
    "scored_at",
    "policy_version",
)


def score_records(
    columns: Columns, model_version: str, scored_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Return the public score record of every row of a credit model's output columns.

    ``columns`` is ``ScoringModel.predict``'s frame, or ``outputs``' arrays with ``credit_code``
    and ``as_of`` beside them: records are built column by column, one dict per row at the end.
    """
    n = len(columns["pd"])
    blank = itertools.repeat(None, n)
    stamp = scored_at.astimezone().isoformat(timespec="seconds") if scored_at else None  # with its offset
    fields = (
        np.asarray(columns["credit_code"], dtype=object).tolist() if "credit_code" in columns else blank,
        _iso_dates(columns["as_of"]) if "as_of" in columns else blank,
        np.round(np.asarray(columns["pd"], dtype=np.float64), 6).tolist(),
        np.asarray(columns["score"], dtype=np.float64).astype(np.int64).tolist(),
        np.asarray(columns["grade"], dtype=object).tolist(),
        np.asarray(columns["supervision_class"], dtype=object).tolist(),
        _text(columns["override_reason_zh"]),
        _text(columns["override_reason_en"]),
        reason_lists(columns, n),
        np.asarray(columns["model"], dtype=object).tolist(),
        itertools.repeat(model_version, n),
        np.asarray(columns["model_fingerprint"], dtype=object).tolist(),
        np.asarray(columns["feature_set_version"], dtype=object).tolist(),
        itertools.repeat(stamp, n),
        np.asarray(columns["policy_version"], dtype=object).tolist()
        if "policy_version" in columns
        else blank,
    )
    return [dict(zip(SCORE_FIELDS, row, strict=True)) for row in zip(*fields, strict=True)]


def activity_index(levels: pd.DataFrame) -> pd.DataFrame:
    """Return a zone's monthly index and component indices from stored levels (base month = 100).

    Same definition as ``models.activity.zone_activity_index``: each component is 100 × level over
    its base-month level; a component without a base value drops out and the rest reweight.
    """
    levels = levels.sort_values("month").reset_index(drop=True)
    base = levels.iloc[0]
    for component in (*COMPONENTS, "mean_activity_score"):
        reference = float(base[component]) if pd.notna(base[component]) else np.nan
        values = levels[component].to_numpy(np.float64)
        levels[f"{component}_index"] = (
            100.0 * values / reference if np.isfinite(reference) and reference > 0 else np.nan
        )
    matrix = np.column_stack([levels[f"{c}_index"].to_numpy(np.float64) for c in EQUAL_WEIGHTS])
    weight = np.broadcast_to(np.asarray(list(EQUAL_WEIGHTS.values())), matrix.shape)
    present = ~np.isnan(matrix)
    with np.errstate(invalid="ignore"):
        levels["index"] = np.nansum(matrix * weight, axis=1) / np.where(present, weight, 0.0).sum(axis=1)
    return levels


def json_value(value: Any) -> Any:
    """Return a value JSON can carry: dates as ISO text, NaN/NaT as null, numpy scalars as Python."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows as JSON-ready dicts."""
    return [{str(k): json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]

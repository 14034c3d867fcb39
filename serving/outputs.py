"""Model output frames → the public JSON records of the API, column-wise rather than row-wise.

The same function words a batch of 100,000 stored scores and an online call on 1,000 feature rows,
so a precomputed score and a freshly computed one are byte-for-byte the same shape.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd

from models.activity import COMPONENTS, EQUAL_WEIGHTS

REASON_FIELDS = ("feature", "zh", "en", "contribution")


def _text(values: pd.Series | np.ndarray) -> list[str | None]:
    return [v if isinstance(v, str) and v else None for v in np.asarray(values, dtype=object)]


def reason_lists(frame: pd.DataFrame) -> list[list[dict[str, Any]]]:
    """Return, per row, the reasons present in ``reason_{i}_*`` columns (blank ones left out)."""
    count = sum(1 for c in frame.columns if c.startswith("reason_") and c.endswith("_feature"))
    columns = [
        (
            _text(frame[f"reason_{i}_feature"]),
            _text(frame[f"reason_{i}_zh"]),
            _text(frame[f"reason_{i}_en"]),
            np.round(frame[f"reason_{i}_contribution"].to_numpy(np.float64), 4).tolist(),
        )
        for i in range(1, count + 1)
    ]
    out: list[list[dict[str, Any]]] = [[] for _ in range(len(frame))]
    for features, zh, en, strength in columns:
        for row, feature in enumerate(features):
            if feature is not None:
                out[row].append(
                    {"feature": feature, "zh": zh[row], "en": en[row], "contribution": strength[row]}
                )
    return out


def credit_records(frame: pd.DataFrame, model_version: str, scored_at: datetime | None = None) -> list[dict]:
    """Return the public score record of every row of a credit model's ``predict`` output."""
    n = len(frame)
    codes = frame["credit_code"].astype("object").tolist() if "credit_code" in frame else [None] * n
    as_of = (
        pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d").tolist() if "as_of" in frame else [None] * n
    )
    reasons = reason_lists(frame)
    pd_ = np.round(frame["pd"].to_numpy(np.float64), 6).tolist()
    score = frame["score"].to_numpy(np.float64).astype(np.int64).tolist()
    grade = frame["grade"].tolist()
    klass = frame["supervision_class"].tolist()
    why_zh, why_en = _text(frame["override_reason_zh"]), _text(frame["override_reason_en"])
    model, fingerprint = frame["model"].tolist(), frame["model_fingerprint"].tolist()
    version = frame["feature_set_version"].tolist()
    stamp = scored_at.isoformat(timespec="seconds") if scored_at else None
    return [
        {
            "credit_code": codes[i],
            "as_of": as_of[i],
            "pd": pd_[i],
            "score": score[i],
            "grade": grade[i],
            "supervision_class": klass[i],
            "override_reason_zh": why_zh[i],
            "override_reason_en": why_en[i],
            "reasons": reasons[i],
            "model": model[i],
            "model_version": model_version,
            "model_fingerprint": fingerprint[i],
            "feature_set_version": version[i],
            "scored_at": stamp,
        }
        for i in range(n)
    ]


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

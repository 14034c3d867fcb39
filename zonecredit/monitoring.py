"""Glue between the operational store and the validation library: the monitoring part of a scoring run.

Kept in the ``zonecredit`` package because it reads ``serving``'s store and calls ``training``, which
only the application layer may join.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from zonecredit.settings import Settings


def monitor_stored_scores(settings: Settings, as_of: date, version: str) -> dict[str, Any]:
    """Recompute the monitoring report of the credit batch stored for ``as_of`` (HOME/validation/)."""
    from serving.store import engine_for, score_history
    from training.monitoring import monitor_run

    wanted = ("credit_code", "as_of", "pd", "score", "supervision_class", "policy_version")
    query = sa.select(*(score_history.c[c] for c in wanted)).where(
        score_history.c.model_version == version, score_history.c.trigger == "month_end"
    )
    with engine_for(settings.resolved_database_url).connect() as connection:
        stored = pd.read_sql(query, connection)
    stored["as_of"] = pd.to_datetime(stored["as_of"])
    current = stored[stored["as_of"] == pd.Timestamp(as_of)]
    earlier = stored[stored["as_of"] < pd.Timestamp(as_of)]
    previous = earlier[earlier["as_of"] == earlier["as_of"].max()] if len(earlier) else None
    policy = current["policy_version"].dropna()
    return monitor_run(
        settings.home,
        "credit",
        version,
        current,
        previous,
        stored[stored["as_of"] <= pd.Timestamp(as_of)],
        str(policy.iloc[0]) if len(policy) else None,
        settings.resolved_mlflow_tracking_uri,
    )

"""Intellectual-property features: applications, grants, trademarks, pledges, lapses, penalties."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.vocabulary import IP_KIND_NAMES, IP_KINDS
from features.families.base import (
    DOWN,
    NONE,
    UP,
    Columns,
    FeatureDef,
    count,
    extreme,
    feature,
    months_between,
    rows_of,
    total,
)

# Every IP kind of the vocabulary, in its order: English wording of a count and its risk sense.
_IP_KINDS = {
    "invention_application": ("invention applications", DOWN),
    "invention_grant": ("invention grants", DOWN),
    "utility_grant": ("utility-model grants", DOWN),
    "design_grant": ("design grants", DOWN),
    "trademark": ("trademarks", DOWN),
    "pledge": ("IP pledges", NONE),
    "lapse": ("patent lapses", UP),
    "infringement_penalty": ("infringement penalties", UP),
}
# Kinds also counted over the last 12 months.
_COUNTED_12M = (
    "invention_application",
    "invention_grant",
    "utility_grant",
    "trademark",
    "pledge",
    "infringement_penalty",
)


def _declare() -> list[FeatureDef]:
    s = "ip"
    act = {"infringement_penalty": True, "lapse": True}
    return [
        *[
            feature(
                f"ip_{k}_count_total",
                f"累计{IP_KIND_NAMES[k]}数",
                f"{_IP_KINDS[k][0]} to date",
                s,
                None,
                _IP_KINDS[k][1],
                act.get(k, False),
            )
            for k in IP_KINDS
        ],
        *[
            feature(
                f"ip_{k}_count_12m",
                f"近12个月{IP_KIND_NAMES[k]}数",
                f"{_IP_KINDS[k][0]} in 12 months",
                s,
                12,
                _IP_KINDS[k][1],
                act.get(k, False),
            )
            for k in _COUNTED_12M
        ],
        feature("ip_grants_36m", "近36个月专利授权数", "patent grants in 36 months", s, 36, DOWN, False),
        feature(
            "ip_patents_net", "累计授权减失效专利数", "patents granted less lapsed", s, None, DOWN, False
        ),
        feature(
            "ip_pledge_amount_24m",
            "近24个月知识产权质押金额",
            "IP pledge amount in 24 months",
            s,
            24,
            NONE,
            False,
        ),
        feature(
            "ip_months_since_last_event",
            "距最近一次知识产权事件月数",
            "months since the latest IP event",
            s,
            None,
            NONE,
            False,
        ),
    ]


FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def compute(events: pd.DataFrame, enterprises: pd.Index, as_of: pd.Timestamp) -> Columns:
    """Compute the IP features from the events known on ``as_of``."""
    n = len(enterprises)
    events = events[(events["event_on"] <= as_of).to_numpy(bool)]
    rows = rows_of(events, enterprises)
    kind = events["kind"].to_numpy(object)
    months_ago = months_between(events["event_on"], as_of)
    grant = np.isin(kind, ["invention_grant", "utility_grant", "design_grant"])
    columns: Columns = {f"ip_{k}_count_total": count(rows, kind == k, n) for k in IP_KINDS}
    for k in _COUNTED_12M:
        columns[f"ip_{k}_count_12m"] = count(rows, (kind == k) & (months_ago < 12), n)
    since = extreme(rows, months_ago, np.ones(len(rows), bool), n, largest=False)
    columns |= {
        "ip_grants_36m": count(rows, grant & (months_ago < 36), n),
        "ip_patents_net": count(rows, grant, n) - count(rows, kind == "lapse", n),
        "ip_pledge_amount_24m": total(
            rows, events["amount"].to_numpy(np.float64), (kind == "pledge") & (months_ago < 24), n
        ),
        "ip_months_since_last_event": since,
    }
    return columns

"""Credit-record features: penalties and lists by kind and severity, what is in force, repair."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.vocabulary import CREDIT_EVENT_KIND_NAMES, SEVERITIES, SEVERITY_NAMES
from features import rules
from features.families.base import (
    DOWN,
    NONE,
    UP,
    Columns,
    FeatureDef,
    count,
    days_between,
    extreme,
    feature,
    months_between,
    rows_of,
    total,
)
from features.view import counts_in_history

# Every record kind of the vocabulary, in column order: English wording of a count and its risk
# sense (the Chinese names are the vocabulary's).
KINDS = {
    "admin_penalty": ("administrative penalties", UP),
    "abnormal_operation": ("abnormal-operation listings", UP),
    "serious_dishonesty": ("serious-dishonesty listings", UP),
    "judgment_defaulter": ("judgment-defaulter listings", UP),
    "commitment_breached": ("breached credit commitments", UP),
    "commitment_made": ("credit commitments made", DOWN),
    "honor": ("honours", DOWN),
}


# A repaired negative record leaves the history counts (``features.view.counts_in_history``).
UNREPAIRED_ZH, UNREPAIRED_EN = "（不含已修复）", ", repaired ones not counted"


def _declare() -> list[FeatureDef]:
    s = "credit_events"

    def zh(text: str, direction: str) -> str:
        return text + UNREPAIRED_ZH if direction == UP else text

    def en(text: str, direction: str) -> str:
        return text + UNREPAIRED_EN if direction == UP else text

    return [
        *[
            feature(
                f"ce_{k}_count_12m",
                zh(f"近12个月{CREDIT_EVENT_KIND_NAMES[k]}次数", d),
                en(f"{words} in 12 months", d),
                s,
                12,
                d,
                False,
            )
            for k, (words, d) in KINDS.items()
        ],
        *[
            feature(
                f"ce_{k}_count_36m",
                zh(f"近36个月{CREDIT_EVENT_KIND_NAMES[k]}次数", d),
                en(f"{words} in 36 months", d),
                s,
                36,
                d,
                False,
            )
            for k, (words, d) in KINDS.items()
        ],
        *[
            feature(
                f"ce_negative_{sev}_count_36m",
                f"近36个月{name}失信记录数{UNREPAIRED_ZH}",
                f"{sev} negative records in 36 months{UNREPAIRED_EN}",
                s,
                36,
                UP,
                False,
            )
            for sev, name in SEVERITY_NAMES.items()
        ],
        feature(
            "ce_active_unrepaired_total",
            "当前未修复失信记录数",
            "negative records in force, unrepaired",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_active_unrepaired_general",
            "当前未修复一般失信记录数",
            "general records in force, unrepaired",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_active_unrepaired_serious",
            "当前未修复严重失信记录数",
            "serious records in force, unrepaired",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_active_abnormal_operation",
            "当前在经营异常名录",
            "on the abnormal-operation list now",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_active_serious_dishonesty",
            "当前在严重失信名单",
            "on the serious-dishonesty list now",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_active_judgment_defaulter",
            "当前为失信被执行人",
            "a judgment defaulter now",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_months_since_last_negative",
            "距最近一次未修复失信记录月数",
            "months since the latest unrepaired negative record",
            s,
            None,
            DOWN,
            False,
        ),
        feature(
            "ce_repaired_count_36m",
            "近36个月已修复记录数",
            "records repaired in 36 months",
            s,
            36,
            DOWN,
            True,
        ),
        feature(
            "ce_display_days_left_max",
            "在公示记录剩余最长公示天数",
            "longest display time left of records in force",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_display_days_left_sum",
            "在公示记录剩余公示天数合计",
            "display time left of records in force, summed",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_repairable_now_count",
            "当前可申请修复的记录数",
            "records in force that can be repaired now",
            s,
            None,
            UP,
            True,
        ),
        feature(
            "ce_days_to_repairable_min",
            "距最早可修复日期天数",
            "days until the next record becomes repairable",
            s,
            None,
            NONE,
            False,
        ),
        feature(
            "ce_days_to_escalation_min",
            "经营异常距列入严重失信天数",
            "days until an uncured abnormal-operation listing turns serious",
            s,
            None,
            DOWN,
            True,
        ),
        feature(
            "ce_unrepaired_age_max_days",
            "最久未修复记录已公示天数",
            "age of the oldest record in force",
            s,
            None,
            UP,
            True,
        ),
    ]


FEATURES: tuple[FeatureDef, ...] = tuple(_declare())


def compute(events: pd.DataFrame, enterprises: pd.Index, as_of: pd.Timestamp) -> Columns:
    """Compute the credit-record features, windows and repair dates per ``features.rules``."""
    n = len(enterprises)
    rows = rows_of(events, enterprises)
    kind = events["kind"].to_numpy(object)
    severity = events["severity"].to_numpy(object)
    months_ago = months_between(events["occurred_on"], as_of)
    negative = np.isin(kind, rules.NEGATIVE_KINDS)
    in_force = rules.in_force(events, as_of).to_numpy(bool)
    shown_until = days_between(as_of, rules.display_end(events))
    days_left = np.where(in_force, np.clip(np.nan_to_num(shown_until), 0, None), 0.0)
    to_repairable = days_between(as_of, rules.repairable_from(events))
    to_escalation = days_between(as_of, rules.escalates_on(events))
    shown_days = -days_between(as_of, rules.display_start(events))
    repaired_ago = months_between(events["repaired_on"], as_of)
    counted = counts_in_history(events, as_of)  # a repaired record leaves the history counts
    columns: Columns = {}
    for k in KINDS:
        columns[f"ce_{k}_count_12m"] = count(rows, counted & (kind == k) & (months_ago < 12), n)
        columns[f"ce_{k}_count_36m"] = count(rows, counted & (kind == k) & (months_ago < 36), n)
    for sev in SEVERITIES:
        columns[f"ce_negative_{sev}_count_36m"] = count(
            rows, counted & negative & (severity == sev) & (months_ago < 36), n
        )
    last_negative = extreme(rows, months_ago, counted & negative, n, largest=False)
    columns |= {
        "ce_active_unrepaired_total": count(rows, in_force, n),
        "ce_active_unrepaired_general": count(rows, in_force & (severity == "general"), n),
        "ce_active_unrepaired_serious": count(rows, in_force & (severity == "serious"), n),
        **{
            f"ce_active_{k}": np.minimum(count(rows, in_force & (kind == k), n), 1.0)
            for k in rules.LIST_KINDS
        },
        "ce_months_since_last_negative": last_negative,
        "ce_repaired_count_36m": count(rows, repaired_ago < 36, n),
        "ce_display_days_left_max": np.nan_to_num(extreme(rows, days_left, in_force, n, True)),
        "ce_display_days_left_sum": total(rows, days_left, in_force, n),
        "ce_repairable_now_count": count(rows, in_force & (to_repairable <= 0), n),
        "ce_days_to_repairable_min": extreme(
            rows, to_repairable, in_force & (to_repairable > 0), n, largest=False
        ),
        "ce_days_to_escalation_min": extreme(
            rows, to_escalation, in_force & (to_escalation > 0), n, largest=False
        ),
        "ce_unrepaired_age_max_days": np.nan_to_num(extreme(rows, shown_days, in_force, n, True)),
    }
    return columns

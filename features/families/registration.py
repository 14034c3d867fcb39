"""Registration features: zone, industry, entity type, age, capital and status as of the date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.vocabulary import ENTITY_TYPES, INDUSTRIES, INDUSTRY_SECTIONS, ZONES
from features.families.base import (
    DOWN,
    NONE,
    UP,
    Columns,
    FeatureDef,
    FeatureKind,
    feature,
    months_between,
)
from features.view import latest_registration


def _declare() -> list[FeatureDef]:
    s = "registry"
    cat: FeatureKind = "categorical"
    return [
        feature("reg_zone", "所属园区", "zone", s, None, NONE, False, cat),
        feature(
            "reg_industry", "国民经济行业(大类)", "industry division (GB/T 4754)", s, None, NONE, False, cat
        ),
        feature("reg_industry_section", "国民经济行业门类", "industry section", s, None, NONE, False, cat),
        feature("reg_entity_type", "市场主体类型", "entity type", s, None, NONE, False, cat),
        feature("reg_age_months", "成立月数", "months since establishment", s, None, DOWN, False),
        feature(
            "reg_registered_capital", "注册资本(万元)", "registered capital (10k CNY)", s, None, NONE, False
        ),
        feature(
            "reg_log_registered_capital", "注册资本对数", "log of registered capital", s, None, NONE, False
        ),
        feature("reg_is_active", "登记状态为存续", "registration status is active", s, None, DOWN, False),
        feature("reg_status_changes", "登记状态变更次数", "registration status changes", s, None, UP, False),
        feature(
            "reg_months_since_status_change",
            "距最近一次状态变更月数",
            "months since the latest status change",
            s,
            None,
            NONE,
            False,
        ),
        feature("reg_is_young", "成立不满2年", "established less than 2 years ago", s, None, UP, False),
    ]


FEATURES: tuple[FeatureDef, ...] = tuple(_declare())
CATEGORIES: dict[str, tuple[str, ...]] = {
    "reg_zone": tuple(ZONES),
    "reg_industry": INDUSTRIES,
    "reg_industry_section": tuple(INDUSTRY_SECTIONS),
    "reg_entity_type": ENTITY_TYPES,
}


def compute(registry: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, Columns]:
    """Return each enterprise's registration as of ``as_of`` and the registry features."""
    history = registry[(registry["established_on"] <= as_of).to_numpy(bool)]
    history = history.sort_values(["credit_code", "status_changed_on"], kind="stable")
    latest = latest_registration(registry, as_of)
    changes = (history["status_changed_on"] > history["established_on"]).groupby(history["credit_code"]).sum()
    age = months_between(latest["established_on"], as_of)
    capital = latest["registered_capital"].to_numpy(np.float64)
    industry = latest["industry"].astype("str")
    features: Columns = {
        "reg_zone": latest["zone"].to_numpy(object),
        "reg_industry": industry.to_numpy(object),
        "reg_industry_section": industry.str[:1]
        .where(industry.str[:1].isin(INDUSTRY_SECTIONS))
        .to_numpy(object),
        "reg_entity_type": latest["entity_type"].to_numpy(object),
        "reg_age_months": age,
        "reg_registered_capital": capital,
        "reg_log_registered_capital": np.log1p(capital),
        "reg_is_active": (latest["status"] == "active").to_numpy(np.float64),
        "reg_status_changes": changes.reindex(latest["credit_code"]).to_numpy(np.float64),
        "reg_months_since_status_change": months_between(latest["status_changed_on"], as_of),
        "reg_is_young": (age < 24).astype(np.float64),
    }
    return latest, features

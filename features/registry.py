"""Every feature declared once: meaning in Chinese and English, source, window, risk direction.

Each family module under ``features.families`` declares its features next to the function that
computes them; this module assembles them in a fixed order. The direction feeds LightGBM monotone
constraints and the wording of reasons; ``actionable`` says whether the enterprise itself can move
the value ("what would move the grade up"). The feature-set version is a hash of these
declarations, so any change to a definition changes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import pandas as pd

from features.families import (
    credit_events,
    cross,
    declarations,
    ip,
    registration,
    social_security,
    statistics,
    tax,
    tax_grade,
    utility,
)
from features.families.base import FeatureDef

# Column order of the feature table: registration first, cross-source and declared figures last.
FAMILIES = (
    registration,
    tax,
    social_security,
    utility,
    statistics,
    tax_grade,
    ip,
    credit_events,
    cross,
    declarations,
)
FEATURES: tuple[FeatureDef, ...] = tuple(f for family in FAMILIES for f in family.FEATURES)
FEATURES_BY_NAME: dict[str, FeatureDef] = {f.name: f for f in FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES_BY_NAME)
CATEGORIES: dict[str, tuple[str, ...]] = {**registration.CATEGORIES, **tax_grade.CATEGORIES}


def definitions_version(features: tuple[FeatureDef, ...] | list[FeatureDef]) -> str:
    """Return a short hash of feature definitions: same definitions, same version."""
    payload = json.dumps([asdict(f) for f in features], ensure_ascii=False, sort_keys=True)
    payload += json.dumps({k: CATEGORIES[k] for k in sorted(CATEGORIES)})
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


FEATURE_SET_VERSION = definitions_version(FEATURES)


@dataclass(frozen=True)
class FeatureSet:
    """A named subset of features a model trains on; its version hashes the member definitions."""

    name: str
    features: tuple[str, ...]

    @property
    def definitions(self) -> tuple[FeatureDef, ...]:
        return tuple(FEATURES_BY_NAME[n] for n in self.features)

    @property
    def version(self) -> str:
        return f"{self.name}-{definitions_version(self.definitions)}"

    def monotone_constraints(self) -> list[int]:
        """Return LightGBM ``monotone_constraints`` (+1 raises the risk score, -1 lowers it)."""
        sign = {"increases_risk": 1, "decreases_risk": -1, "none": 0}
        return [sign[f.direction] if f.kind == "numeric" else 0 for f in self.definitions]


_ACTIVITY_PREFIXES = ("reg_", "tax_", "ss_", "util_", "stat_", "ip_", "x_")
FEATURE_SETS: dict[str, FeatureSet] = {
    "credit": FeatureSet("credit", FEATURE_NAMES),
    "repair": FeatureSet("repair", tuple(n for n in FEATURE_NAMES if not n.startswith("ip_"))),
    "activity": FeatureSet("activity", tuple(n for n in FEATURE_NAMES if n.startswith(_ACTIVITY_PREFIXES))),
}


def describe_features(feature_set: str | None = None) -> pd.DataFrame:
    """Return one row per feature (for ``zonecredit features describe`` and model cards)."""
    names = FEATURE_SETS[feature_set].features if feature_set else FEATURE_NAMES
    frame = pd.DataFrame([asdict(FEATURES_BY_NAME[n]) for n in names])
    frame.attrs["feature_set_version"] = (
        FEATURE_SETS[feature_set].version if feature_set else FEATURE_SET_VERSION
    )
    return frame

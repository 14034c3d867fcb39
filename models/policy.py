"""Supervision policy: how a credit PD becomes a supervision class A–D (分级分类监管).

The classes are a policy decision, not model constants: PD thresholds, the SPEC §5 overrides, the
容错 tolerance of a first minor record and the inspection rate of each class live in a versioned
TOML file (``supervision_policy.toml`` by default), read into a strict model so a typo fails
loudly. The version travels with every score, the MLflow run and the model card.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.scale import CLASSES

ClassName = Literal["A", "B", "C", "D"]
DEFAULT_POLICY_PATH = Path(__file__).with_name("supervision_policy.toml")
# Record counts the tolerance rule reads (model features of the credit-events family).
TOLERANCE_COLUMNS = (
    "ce_negative_minor_count_36m",
    "ce_negative_general_count_36m",
    "ce_negative_serious_count_36m",
    "ce_months_since_last_negative",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Upper PD bound (exclusive) of classes A, B and C; class D above C's bound."""

    A: float = Field(gt=0, lt=1)
    B: float = Field(gt=0, lt=1)
    C: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _increasing(self) -> Thresholds:
        if not self.A < self.B < self.C:
            raise ValueError(f"thresholds must increase A < B < C, got {self.A}, {self.B}, {self.C}")
        return self

    def bounds(self) -> np.ndarray:
        return np.array([self.A, self.B, self.C])


class Override(_Strict):
    """A SPEC §5 rule: ``force`` sets the class, ``cap`` makes it at best ``klass``."""

    column: str
    action: Literal["force", "cap"]
    klass: ClassName = Field(alias="class")
    reason_zh: str
    reason_en: str


class Tolerance(_Strict):
    """容错: one minor or general record in 36 months, under ``months`` old, keeps ``at_worst``."""

    months: int = Field(ge=1, le=36)
    at_worst: ClassName
    reason_zh: str
    reason_en: str


class SupervisionPolicy(_Strict):
    """The whole policy file; ``version`` must change whenever any value does."""

    version: str = Field(min_length=1)
    description: str = ""
    thresholds: Thresholds
    overrides: tuple[Override, ...]
    tolerance: Tolerance
    inspection_rate: dict[ClassName, float]

    @model_validator(mode="after")
    def _every_class_has_a_rate(self) -> SupervisionPolicy:
        missing = set(CLASSES) - set(self.inspection_rate)
        if missing:
            raise ValueError(f"inspection_rate lacks classes {sorted(missing)}")
        if not all(0 <= r <= 1 for r in self.inspection_rate.values()):
            raise ValueError("inspection rates are shares of a class: each must be in [0, 1]")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """Feature columns the overrides and the tolerance rule read."""
        return (*(o.column for o in self.overrides), *TOLERANCE_COLUMNS)

    @property
    def fingerprint(self) -> str:
        """Short hash of the content: two files with one version but other values are told apart."""
        text = json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_toml_dict(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)

    def classify(
        self, pd_: np.ndarray, features: Mapping[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (class, reason zh, reason en) of each PD after tolerance and overrides.

        ``features`` holds the policy columns (name → values; a missing one never triggers).
        The class from the PD bands is monotone in PD; the tolerance rule then keeps a first minor
        record from pushing a class past ``at_worst``; caps and forces apply last, so a serious
        record always wins. Reasons name every rule that changed or pinned a class.
        """
        n = len(pd_)
        rank = np.searchsorted(self.thresholds.bounds(), np.asarray(pd_, np.float64), side="right")
        reason_zh = np.full(n, "", dtype=object)
        reason_en = np.full(n, "", dtype=object)

        def note(hit: np.ndarray, zh: str, en: str) -> None:
            reason_zh[hit] += np.where(reason_zh[hit] == "", "", "；") + zh
            reason_en[hit] += np.where(reason_en[hit] == "", "", "; ") + en

        tolerated = self._tolerated(features, n) & (rank > CLASSES.index(self.tolerance.at_worst))
        rank = np.where(tolerated, CLASSES.index(self.tolerance.at_worst), rank)
        note(tolerated, self.tolerance.reason_zh, self.tolerance.reason_en)
        for action in ("cap", "force"):
            for rule in (o for o in self.overrides if o.action == action):
                hit = _flag(features, rule.column, n)
                if not hit.any():
                    continue
                floor = CLASSES.index(rule.klass)
                rank = np.where(hit, floor if action == "force" else np.maximum(rank, floor), rank)
                note(hit, rule.reason_zh, rule.reason_en)
        return np.asarray(CLASSES, dtype=object)[rank], reason_zh, reason_en

    def _tolerated(self, features: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        if not all(c in features for c in TOLERANCE_COLUMNS):
            return np.zeros(n, dtype=bool)
        count = {c: np.nan_to_num(np.asarray(features[c], np.float64)) for c in TOLERANCE_COLUMNS[:3]}
        since = np.asarray(features["ce_months_since_last_negative"], np.float64)
        return (
            (count["ce_negative_minor_count_36m"] + count["ce_negative_general_count_36m"] == 1)
            & (count["ce_negative_serious_count_36m"] == 0)
            & (np.nan_to_num(since, nan=np.inf) < self.tolerance.months)
        )

    def class_shares(self, classes: np.ndarray) -> dict[str, float]:
        """Share of each class among ``classes`` (all four keys, zeros included)."""
        n = max(len(classes), 1)
        return {c: float(np.sum(np.asarray(classes) == c) / n) for c in CLASSES}


def _flag(features: Mapping[str, np.ndarray], column: str, n: int) -> np.ndarray:
    if column not in features:
        return np.zeros(n, dtype=bool)
    return np.nan_to_num(np.asarray(features[column], dtype=np.float64)) > 0


def parse_policy(text: str) -> SupervisionPolicy:
    """Validate policy TOML text; raises ``ValueError`` (pydantic's) naming the bad field."""
    return SupervisionPolicy.model_validate(tomllib.loads(text))


@cache
def load_policy(path: Path = DEFAULT_POLICY_PATH) -> SupervisionPolicy:
    """Read and validate a policy file (cached per path: scoring reads it once per process)."""
    return parse_policy(Path(path).read_text(encoding="utf-8"))

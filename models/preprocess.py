"""The fitted preprocessing that travels with a booster: feature list, category levels, version.

Feature rows arrive as a DataFrame (from the feature pipeline) or as columns (JSON or Arrow at the
API); the booster wants one float matrix. Categories become their index in the levels fixed at
training, so a level unseen then (or a missing value) reads as NaN rather than shifting every other
code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from data.errors import InvalidInput
from features.registry import CATEGORIES, FEATURE_SETS, FEATURES_BY_NAME

# Feature rows: a frame, or a mapping of column name → one-dimensional values of one length.
Columns: TypeAlias = pd.DataFrame | Mapping[str, Any]


class FeatureRowsError(InvalidInput):
    """Feature rows that lack columns the model was trained on."""


@dataclass(frozen=True)
class FeatureSpec:
    """Which columns, in which order, with which category levels, from which feature-set version."""

    feature_set: str
    feature_set_version: str
    features: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    @classmethod
    def from_registry(cls, feature_set: str, exclude: tuple[str, ...] = ()) -> FeatureSpec:
        """Return the spec of a registry feature set (less ``exclude``)."""
        definition = FEATURE_SETS[feature_set]
        features = tuple(n for n in definition.features if n not in exclude)
        return cls(
            feature_set=feature_set,
            feature_set_version=definition.version,
            features=features,
            categories={n: tuple(CATEGORIES[n]) for n in features if n in CATEGORIES},
        )

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, n in enumerate(self.features) if n in self.categories]

    def monotone_constraints(self, sense: int = 1) -> list[int]:
        """Return LightGBM constraints: +1 where the feature raises the modelled outcome.

        ``sense`` is +1 when the booster models a risk (PD, staying unrepaired) and −1 when it
        models something good (being active), which flips every registry direction.
        """
        sign = {"increases_risk": 1, "decreases_risk": -1, "none": 0}
        return [
            0 if n in self.categories else sense * sign[FEATURES_BY_NAME[n].direction] for n in self.features
        ]

    def matrix(self, rows: Columns) -> np.ndarray:
        """Return the float64 design matrix (rows × features) of ``rows``.

        ``rows`` is a frame, or any mapping of column name → one-dimensional values (the API's
        bulk path never builds a frame). The matrix is column-major: each feature is written in
        one contiguous pass, and LightGBM reads either order without a copy.
        """
        missing = [n for n in self.features if n not in rows]
        if missing:
            raise FeatureRowsError(
                f"feature rows lack {len(missing)} of the model's features "
                f"({', '.join(missing[:5])}{'…' if len(missing) > 5 else ''}); "
                f"compute them with feature set {self.feature_set_version}"
            )
        block = np.empty((len(self.features), len(rows[self.features[0]])), dtype=np.float64)
        for i, name in enumerate(self.features):
            levels = self.categories.get(name)
            block[i] = _numbers(rows[name]) if levels is None else _category_codes(rows[name], levels)
        return block.T

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        return cls(
            feature_set=data["feature_set"],
            feature_set_version=data["feature_set_version"],
            features=tuple(data["features"]),
            categories={k: tuple(v) for k, v in data["categories"].items()},
        )


@lru_cache(maxsize=256)
def _same_levels(dtype: pd.CategoricalDtype, levels: tuple[str, ...]) -> bool:
    # Cached: comparing a hundred industry levels on every call would cost more than the booster.
    return tuple(dtype.categories) == levels


@lru_cache(maxsize=256)
def _level_index(levels: tuple[str, ...]) -> pd.Index:
    return pd.Index(levels, dtype=object)


def _numbers(values: Any) -> np.ndarray:
    if isinstance(values, pd.Series):  # nullable dtypes hold pd.NA, which only this reads as NaN
        return values.to_numpy(np.float64, na_value=np.nan)
    return np.asarray(values, dtype=np.float64)


def _category_codes(values: Any, levels: tuple[str, ...]) -> np.ndarray:
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype) and _same_levels(dtype, levels):
        codes = np.asarray(values.cat.codes, dtype=np.float64)
    else:  # a hash lookup: building a Categorical per call costs more than the booster
        text = pd.Index(np.asarray(values, dtype=object), dtype=object)
        codes = _level_index(levels).get_indexer(text).astype(np.float64)
    codes[codes < 0] = np.nan
    return codes

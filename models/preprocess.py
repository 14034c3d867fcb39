"""The fitted preprocessing that travels with a booster: feature list, category levels, version.

Feature rows arrive as a DataFrame (from the feature pipeline, or JSON at the API); the booster
wants one float matrix. Categories become their index in the levels fixed at training, so a level
unseen then (or a missing value) reads as NaN rather than shifting every other code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from features.registry import CATEGORIES, FEATURE_SETS, FEATURES_BY_NAME


class FeatureRowsError(ValueError):
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

    def matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """Return the float64 design matrix (rows × features) of ``rows``."""
        present = set(rows.columns)
        missing = [n for n in self.features if n not in present]
        if missing:
            raise FeatureRowsError(
                f"feature rows lack {len(missing)} of the model's features "
                f"({', '.join(missing[:5])}{'…' if len(missing) > 5 else ''}); "
                f"compute them with feature set {self.feature_set_version}"
            )
        numeric = [n for n in self.features if n not in self.categories]
        out = np.empty((len(rows), len(self.features)), dtype=np.float64)
        positions = {n: i for i, n in enumerate(self.features)}
        out[:, [positions[n] for n in numeric]] = rows[numeric].to_numpy(np.float64, na_value=np.nan)
        for name, levels in self.categories.items():
            out[:, positions[name]] = _category_codes(rows[name], levels)
        return out

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


def _category_codes(values: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) and _same_levels(dtype, levels):
        codes = values.cat.codes.to_numpy(np.float64)
    else:  # a hash lookup: building a Categorical per call costs more than the booster
        codes = (
            _level_index(levels)
            .get_indexer(pd.Index(values.to_numpy(object), dtype=object))
            .astype(np.float64)
        )
    codes[codes < 0] = np.nan
    return codes

"""Baselines logged beside every model: a WOE scorecard, and on synthetic data the oracle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features.labels import get_label
from models.preprocess import FeatureSpec

# The repair oracle is the Monte-Carlo replay of the generator (an upper bound up to its sampling
# error); the analytic approximation it replaces is still logged beside it.
ORACLE_COLUMNS = {"credit": "p_default_12m", "repair": "p_unrepaired_12m_mc", "activity": "p_active_next_q"}
ANALYTIC_ORACLE_COLUMNS = {"repair": "p_unrepaired_12m"}


class Scorecard:
    """Logistic regression on WOE-binned features (optbinning ``BinningProcess``)."""

    def __init__(self, spec: FeatureSpec, max_features: int = 40) -> None:
        self.spec = spec
        self.max_features = max_features

    def fit(self, train: pd.DataFrame, outcome: np.ndarray) -> Scorecard:
        """Bin every numeric feature, keep the ``max_features`` with the highest IV, fit the logit."""
        from optbinning import BinningProcess
        from sklearn.linear_model import LogisticRegression

        # A feature missing or constant throughout training has nothing to bin.
        self.numeric = [
            n
            for n in self.spec.features
            if n not in self.spec.categories and train[n].nunique(dropna=True) > 1
        ]
        self.binning = BinningProcess(
            self.numeric,
            selection_criteria={"iv": {"min": 0.02, "top": self.max_features}},
            max_n_bins=8,
            n_jobs=-1,  # one optimal-binning problem per feature: they parallelise
        )
        woe = self.binning.fit_transform(train[self.numeric], outcome.astype(int))
        self.logit = LogisticRegression(C=1.0, max_iter=1000).fit(woe, outcome.astype(int))
        return self

    def probability(self, rows: pd.DataFrame) -> np.ndarray:
        return self.logit.predict_proba(self.binning.transform(rows[self.numeric]))[:, 1]


def oracle_probability(
    kind: str, rows: pd.DataFrame, truth_dir: Path, column: str | None = None
) -> pd.Series:
    """Return the generator's true probability for each (credit_code, as_of) row; NaN where absent.

    Only evaluation reads this: training never sees the ground truth. ``column`` picks another
    truth column (the analytic repair oracle) instead of the kind's oracle.
    """
    column = column or ORACLE_COLUMNS[get_label(kind).name]
    truth = pd.read_parquet(truth_dir / "labels.parquet", columns=["credit_code", "as_of", column])
    truth["as_of"] = pd.to_datetime(truth["as_of"]).astype("datetime64[s]")
    keys = pd.DataFrame(
        {
            "credit_code": rows["credit_code"].astype("str").to_numpy(),
            "as_of": pd.to_datetime(rows["as_of"]).astype("datetime64[s]").to_numpy(),
        }
    )
    truth["credit_code"] = truth["credit_code"].astype("str")
    joined = keys.merge(truth, on=["credit_code", "as_of"], how="left", validate="many_to_one")
    return pd.Series(joined[column].to_numpy(np.float64), index=rows.index, name=column)

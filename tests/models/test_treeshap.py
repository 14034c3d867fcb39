"""Fast TreeSHAP gives LightGBM's ``pred_contrib`` within 1e-9, on every kind of split."""

from __future__ import annotations

import dataclasses

import lightgbm as lgb
import numpy as np
import pytest

import models.treeshap
from models.forest import FlatForest
from models.treeshap import PathsTooDeep, TreeShap
from tests.models.test_forest import _awkward_rows, _booster, _training_rows, early_stopped_booster

EXACT = 1e-9


def _assert_exact(shap: TreeShap, booster: lgb.Booster, x: np.ndarray) -> None:
    expected = booster.predict(x, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(shap.contributions(x), expected, rtol=0, atol=EXACT)


@pytest.mark.parametrize(
    "params",
    [
        {},  # missing values: NaN
        {"zero_as_missing": True},  # missing values: zero
        {"use_missing": False},  # no missing handling
        {"max_cat_to_onehot": 8},  # one-vs-rest categorical splits
        {"num_leaves": 63, "max_depth": 6, "min_data_in_leaf": 1},  # full depth-6 paths
        {"min_gain_to_split": 1e9},  # every tree a single leaf
    ],
    ids=["nan", "zero-as-missing", "no-missing", "one-hot-categories", "depth-6", "single-leaf"],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_contributions_equal_pred_contrib(params, seed):
    booster = _booster({**params, "num_threads": 1}, rounds=30, seed=seed)
    shap = TreeShap.from_forest(FlatForest.from_booster(booster))
    for rows_seed in range(2):
        x = _awkward_rows(rows_seed + 10 * seed)
        _assert_exact(shap, booster, x)
        _assert_exact(shap, booster, np.asfortranarray(x))


def test_features_split_on_repeatedly_and_zero_count_children_are_exact():
    """One feature split on again and again down a path (LightGBM unwinds and redoes it)."""
    x, y = _training_rows(3)
    data = lgb.Dataset(x[:, :2], y, params={"verbose": -1})
    params = {"objective": "binary", "num_leaves": 31, "max_depth": 6, "min_data_in_leaf": 1, "verbose": -1}
    booster = lgb.train(params, data, num_boost_round=20)
    shap = TreeShap.from_forest(FlatForest.from_booster(booster))
    assert shap.n_features_on_path.max() <= 2 < shap.path_length.max()
    _assert_exact(shap, booster, _awkward_rows(4)[:, :2])


def test_a_float32_matrix_and_several_threads_give_the_same_contributions():
    booster = _booster({})
    shap = TreeShap.from_forest(FlatForest.from_booster(booster))
    with np.errstate(over="ignore"):
        x = _awkward_rows(0).astype(np.float32)
    _assert_exact(shap, booster, x)
    np.testing.assert_array_equal(shap.contributions(x, threads=3), shap.contributions(x))


def test_an_early_stopped_booster_explains_its_best_iteration_as_pred_contrib_does():
    booster = early_stopped_booster()
    _assert_exact(TreeShap.from_forest(FlatForest.from_booster(booster)), booster, _awkward_rows(1))


def test_wrong_widths_and_paths_too_deep_for_tables_are_refused(monkeypatch):
    forest = FlatForest.from_booster(_booster({}, rounds=3))
    with pytest.raises(ValueError, match="8 features"):
        TreeShap.from_forest(forest).contributions(np.zeros((2, 7)))
    monkeypatch.setattr(models.treeshap, "MAX_PATH_FEATURES", 1)
    with pytest.raises(PathsTooDeep, match="subset tables stop at 1"):
        TreeShap.from_forest(forest)


@pytest.mark.parametrize("kind", ["credit", "repair", "activity"])
def test_each_models_contributions_and_reasons_are_lightgbms(kind, request):
    model, test = request.getfixturevalue(kind)
    matrix = model.spec.matrix(test)
    expected = model.booster.predict(matrix, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(model.contributions(test), expected, rtol=0, atol=EXACT)
    reference = dataclasses.replace(model)
    reference.shap = None  # LightGBM's own TreeSHAP, the fallback for paths too deep
    ours, theirs = model.predict(test), reference.predict(test)
    for column in ("reason_1_zh", "reason_2_en", "reason_3_en"):
        if column in ours:
            assert ours[column].tolist() == theirs[column].tolist()

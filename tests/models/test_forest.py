"""The flattened trees give ``Booster.predict``'s probabilities bit for bit, on every kind of split."""

from __future__ import annotations

import dataclasses

import lightgbm as lgb
import numpy as np
import pytest

from models.forest import ZERO, FlatForest

N_FEATURES = 8
CATEGORY_FEATURES = [6, 7]  # 7 has more than 32 levels: a split's bitset spans several words


def _training_rows(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_FEATURES))
    x[:, 2] = np.where(rng.random(n) < 0.3, 0.0, x[:, 2])  # many exact zeros
    x[:, 3] = np.where(rng.random(n) < 0.2, np.nan, x[:, 3])  # missing values
    x[:, 6] = rng.integers(0, 6, n)
    x[:, 7] = rng.integers(0, 70, n)
    signal = np.nan_to_num(x[:, 0]) + (x[:, 2] == 0) + np.isnan(x[:, 3]) + (x[:, 6] % 2) + (x[:, 7] % 3 == 0)
    return x, (signal + rng.normal(size=n) > 1.5).astype(int)


def _awkward_rows(seed: int) -> np.ndarray:
    """Rows that probe the edges: NaN, ±0, magnitudes at LightGBM's zero threshold, thresholds
    themselves, and categories that are negative, fractional, unseen or out of every bitset."""
    x, _ = _training_rows(seed + 1, 2000)
    rng = np.random.default_rng(seed)
    edges = np.array([np.nan, 0.0, -0.0, ZERO, -ZERO, 1e-35, 1e-36, np.nextafter(ZERO, 1), 1e300, -1e300])
    for column in range(N_FEATURES):
        x[rng.random(len(x)) < 0.1, column] = rng.choice(edges)
    categories = np.array([np.nan, -1.0, -0.5, 0.0, 0.7, 5.0, 6.0, 31.0, 32.0, 69.0, 70.0, 1000.0, 1e12])
    for column in CATEGORY_FEATURES:
        x[rng.random(len(x)) < 0.3, column] = rng.choice(categories, size=1)
    return x


def _booster(params: dict, rounds: int = 60, seed: int = 0) -> lgb.Booster:
    x, y = _training_rows(seed)
    data = lgb.Dataset(x, y, categorical_feature=CATEGORY_FEATURES, params={"verbose": -1})
    base = {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 5, "verbose": -1, "seed": seed}
    return lgb.train({**base, **params}, data, num_boost_round=rounds)


@pytest.mark.parametrize(
    "params",
    [
        {},  # missing values: NaN
        {"zero_as_missing": True},  # missing values: zero
        {"use_missing": False},  # no missing handling
        {"max_cat_to_onehot": 8},  # one-vs-rest categorical splits
        {"sigmoid": 0.7},
        {"min_gain_to_split": 1e9},  # every tree a single leaf
    ],
    ids=["nan", "zero-as-missing", "no-missing", "one-hot-categories", "sigmoid", "single-leaf"],
)
def test_probabilities_equal_the_booster_bit_for_bit(params):
    booster = _booster(params)
    forest = FlatForest.from_booster(booster)
    for seed in range(3):
        x = _awkward_rows(seed)
        expected = booster.predict(x, num_threads=1)
        np.testing.assert_array_equal(forest.probability(x), expected)
        np.testing.assert_array_equal(forest.probability(np.asfortranarray(x)), expected)


def test_a_float32_matrix_reads_as_the_booster_reads_it():
    booster = _booster({})
    with np.errstate(over="ignore"):  # ±1e300 becomes ±inf, another edge
        x = _awkward_rows(0).astype(np.float32)
    np.testing.assert_array_equal(FlatForest.from_booster(booster).probability(x), booster.predict(x))


def early_stopped_booster() -> lgb.Booster:
    """A booster stopped early that still holds the trees past its best iteration."""
    x, y = _training_rows(0)
    valid = lgb.Dataset(*_training_rows(9), categorical_feature=CATEGORY_FEATURES)
    booster = lgb.train(
        {"objective": "binary", "learning_rate": 0.5, "verbose": -1},
        lgb.Dataset(x, y, categorical_feature=CATEGORY_FEATURES),
        num_boost_round=300,
        valid_sets=[valid],
        callbacks=[lgb.early_stopping(5, verbose=False)],
        keep_training_booster=True,  # keeps the trees past the best iteration
    )
    assert 0 < booster.best_iteration < booster.num_trees()
    return booster


def test_an_early_stopped_booster_uses_its_best_iteration_as_predict_does():
    booster = early_stopped_booster()
    rows = _awkward_rows(1)
    np.testing.assert_array_equal(FlatForest.from_booster(booster).probability(rows), booster.predict(rows))


def test_other_objectives_and_wrong_widths_are_refused():
    x, y = _training_rows(0)
    regression = lgb.train({"objective": "regression", "verbose": -1}, lgb.Dataset(x, y), num_boost_round=3)
    with pytest.raises(ValueError, match="binary models only"):
        FlatForest.from_booster(regression)
    forest = FlatForest.from_booster(_booster({}, rounds=3))
    with pytest.raises(ValueError, match="8 features"):
        forest.probability(np.zeros((2, 7)))


@pytest.mark.parametrize("kind", ["credit", "repair", "activity"])
def test_each_models_scores_and_grades_are_the_boosters(kind, request):
    model, test = request.getfixturevalue(kind)
    matrix = model.spec.matrix(test)
    np.testing.assert_array_equal(model.raw(matrix), model.booster.predict(matrix, num_threads=1))
    batch = dataclasses.replace(model, threads=2)  # a batch keeps LightGBM's own threads
    np.testing.assert_array_equal(model.predict(test), batch.predict(test))

"""The tuning search space file: it loads, a malformed one is refused, and it samples what the code did."""

from typing import Any

import optuna
import pytest

from training.search_space import (
    DEFAULT_SEARCH_SPACE,
    SearchSpaceError,
    load_search_space,
    parse_search_space,
)

GOOD = """
version = "t1"
[fixed]
bagging_freq = 1
[params.learning_rate]
type = "float"
low = 0.03
high = 0.2
log = true
"""


def _before_the_file(trial: Any) -> dict[str, Any]:
    """The search space as training.fit wrote it in code before the file (kept as the reference)."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.03, 0.2, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 7, 31),
        "min_child_samples": trial.suggest_int("min_child_samples", 20, 400, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.6, 1.0),
        "bagging_freq": 1,
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
    }


def test_the_packaged_file_loads_with_a_version():
    space = load_search_space(DEFAULT_SEARCH_SPACE)
    assert space.version == "1"
    assert list(space.params) == [
        "learning_rate",
        "num_leaves",
        "min_child_samples",
        "feature_fraction",
        "bagging_fraction",
        "lambda_l2",
    ]
    assert space.complete({"num_leaves": 9}) == {"num_leaves": 9, "bagging_freq": 1}


def _sampled(suggest: Any, seed: int, trials: int = 15) -> list[tuple[dict, dict]]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    out = []
    for _ in range(trials):  # past TPE's 10 start-up trials, so the model-based draws are compared too
        trial = study.ask()
        params = suggest(trial)
        study.tell(trial, params["learning_rate"] * params["num_leaves"] - params["lambda_l2"])
        out.append((params, dict(study.trials[-1].distributions)))
    return out


@pytest.mark.parametrize("seed", [0, 7])
def test_the_file_suggests_what_the_code_did_for_a_seeded_study(seed):
    space = load_search_space(DEFAULT_SEARCH_SPACE)
    assert _sampled(space.suggest, seed) == _sampled(_before_the_file, seed)


def test_a_fixed_trial_gets_its_values_back_with_the_fixed_parameters():
    values = {"learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 50}
    values |= {"feature_fraction": 0.7, "bagging_fraction": 0.8, "lambda_l2": 1.0}
    trial = optuna.trial.FixedTrial(values)
    assert load_search_space(DEFAULT_SEARCH_SPACE).suggest(trial) == _before_the_file(trial)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace('version = "t1"', ""), r"version\s+Field required"),
        (GOOD + "[params.num_leaves]\ntype = 'int'\nlow = 31\nhigh = 7\n", "low must be below high"),
        (GOOD.replace("low = 0.03", "low = 0.0"), "a log range needs a positive low"),
        (GOOD.replace('type = "float"', 'type = "choice"'), "does not match any of the expected tags"),
        (GOOD + "[params.num_leaves]\ntype = 'int'\nlow = 7.5\nhigh = 31\n", "num_leaves.int.low"),
        (GOOD.replace("log = true", "log = true\nstep = 2"), "step\\s+Extra inputs are not permitted"),
        (GOOD.replace("bagging_freq = 1", "learning_rate = 0.1"), "both tuned and fixed: learning_rate"),
        (GOOD.replace("high = 0.2", "high = '0.2'"), "learning_rate.float.high"),
        ("version = [", "not valid TOML"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_fault(text, message):
    with pytest.raises(SearchSpaceError, match=message):
        parse_search_space(text, "space.toml")


def test_an_unreadable_file_is_refused_with_its_path(tmp_path):
    with pytest.raises(SearchSpaceError, match=r"missing\.toml: cannot be read"):
        load_search_space(tmp_path / "missing.toml")

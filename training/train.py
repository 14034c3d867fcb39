"""``zonecredit train KIND``: tune with Optuna, log to MLflow, register, and pass the champion gate.

Order matters for safety: everything is logged and the version registered inside the run; the
champion alias moves only after the run has ended FINISHED. SIGTERM or Ctrl-C inside the run ends
it FAILED (``interruptible``); SIGKILL leaves it RUNNING; in both cases the champion is untouched.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import mlflow
import numpy as np
import optuna
import pandas as pd
from tqdm.auto import tqdm

from data.errors import InvalidArguments
from features.panel import split_out_of_time
from models.packaged import current_champion, log_pyfunc, tracking
from models.preprocess import FeatureSpec
from models.scoring import KINDS, Kind, ScoringModel, registered_name
from training import gate
from training.baselines import ANALYTIC_ORACLE_COLUMNS, Scorecard, oracle_probability
from training.distributed import fit_on_cluster
from training.fit import fit_booster, outcome, scoring_model
from training.interrupt import interruptible
from training.metrics import METRICS, metrics_by_zone, population_stability_index, score_metrics
from training.panels import data_fingerprint, load_panel
from training.reporting import calibration_plot, model_card, roc_plot, shap_summary_plot
from training.search_space import SearchSpace, load_search_space
from training.validation import POLICY_ARTIFACT, VALIDATION_ARTIFACT, initial_validation

SHAP_SAMPLE_ROWS = 2000


@dataclass
class TrainResult:
    """What a training run produced and whether it became champion."""

    kind: Kind
    run_id: str
    model_name: str
    version: str
    promoted: bool
    reason: str
    metrics: dict[str, float] = field(default_factory=dict)
    gate: gate.GateDecision | None = None
    trials: pd.DataFrame = field(default_factory=pd.DataFrame)

    def holdout_comparison(self) -> pd.DataFrame:
        """Return the gate's view: challenger and champion metrics on the same out-of-time holdout."""
        if self.gate is None:
            return pd.DataFrame(columns=["model", "version", *METRICS])
        rows = [{"model": "challenger", "version": self.version, **self.gate.challenger}]
        if self.gate.champion is not None:
            rows.append({"model": "champion", "version": self.gate.champion_version, **self.gate.champion})
        return pd.DataFrame(rows, columns=["model", "version", *METRICS])


def code_revision() -> str:
    """Return the git commit of the working tree (with ``-dirty`` if modified), or ``unknown``."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + ("-dirty" if dirty else "")


def tune(
    kind: Kind,
    spec: FeatureSpec,
    train: pd.DataFrame,
    valid: pd.DataFrame,
    trials: int,
    timeout: float | None,
    storage: str,
    study_name: str,
    seed: int,
    space: SearchSpace,
    progress: bool = False,
) -> optuna.Study:
    """Run (or resume) the Optuna study maximising validation AUC, pruning weak trials early."""
    from optuna_integration import LightGBMPruningCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # before the study: no "study created" line
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=20),
    )

    def objective(trial: optuna.Trial) -> float:
        booster = fit_booster(
            kind,
            spec,
            train,
            valid,
            space.suggest(trial),
            seed,
            callbacks=[LightGBMPruningCallback(trial, "auc", valid_name="valid")],
        )
        trial.set_user_attr("best_iteration", booster.best_iteration)
        return float(booster.best_score["valid"]["auc"])

    with tqdm(total=trials, desc=f"{kind} trials", unit="trial", disable=not progress) as bar:
        study.optimize(objective, n_trials=trials, timeout=timeout, callbacks=[lambda *_: bar.update()])
    return study


def use_experiment(name: str, home: Path) -> str:
    """Make ``name`` the active experiment, creating it with its artifacts under ``home``; its id.

    Without an artifact location, MLflow puts a local store's artifacts in ``./mlruns`` of whatever
    folder the process happens to run in, outside the data directory. A tracking server keeps its
    own default.
    """
    if mlflow.get_experiment_by_name(name) is None:
        local = urlparse(mlflow.get_tracking_uri()).scheme in ("", "file", "sqlite")
        location = (home / "mlartifacts").resolve().as_uri() if local else None
        mlflow.create_experiment(name, artifact_location=location)
    return str(mlflow.set_experiment(name).experiment_id)


def _best_params(study: optuna.Study, space: SearchSpace) -> dict[str, Any]:
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not finished:
        raise InvalidArguments(f"study {study.study_name} has no finished trial; give it more time or trials")
    return space.complete(study.best_params)


def _log_baselines(
    kind: Kind,
    spec: FeatureSpec,
    train: pd.DataFrame,
    test: pd.DataFrame,
    y_test: np.ndarray,
    truth_dir: Path | None,
) -> dict[str, np.ndarray]:
    """Log the scorecard (and oracle) as nested runs; return their test probabilities."""
    curves: dict[str, np.ndarray] = {}
    with mlflow.start_run(run_name=f"{kind}-scorecard", nested=True):
        mlflow.set_tags({"role": "baseline", "baseline": "scorecard", "kind": kind})
        card = Scorecard(spec).fit(train, outcome(kind, train))
        curves["scorecard"] = card.probability(test)
        mlflow.log_metrics(_finite(metrics_by_zone(y_test, curves["scorecard"], test["reg_zone"], "test")))
    if truth_dir is not None:
        truth = oracle_probability(kind, test, truth_dir).to_numpy()
        known = ~np.isnan(truth)
        with mlflow.start_run(run_name=f"{kind}-oracle", nested=True):
            mlflow.set_tags({"role": "baseline", "baseline": "oracle", "kind": kind})
            mlflow.log_metric("test_rows_with_truth", int(known.sum()))
            mlflow.log_metrics(
                _finite(
                    metrics_by_zone(y_test[known], truth[known], test["reg_zone"].to_numpy()[known], "test")
                )
            )
        curves["oracle"] = np.where(known, truth, np.nan)
        if kind in ANALYTIC_ORACLE_COLUMNS:
            analytic = oracle_probability(kind, test, truth_dir, ANALYTIC_ORACLE_COLUMNS[kind]).to_numpy()
            with mlflow.start_run(run_name=f"{kind}-oracle-analytic", nested=True):
                mlflow.set_tags({"role": "baseline", "baseline": "oracle_analytic", "kind": kind})
                metrics = score_metrics(y_test[known], analytic[known])
                mlflow.log_metrics(_finite({f"test_{k}": v for k, v in metrics.items()}))
    return curves


def serving_rows(rows: pd.DataFrame, spec: FeatureSpec, n: int = 5) -> pd.DataFrame:
    """Return the first ``n`` rows as a client sends them: identifiers, features, text categories."""
    example = rows[["credit_code", "as_of", *spec.features]].head(n).reset_index(drop=True)
    return example.astype({name: "object" for name in spec.categories})


def _finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if np.isfinite(v)}


def train(
    kind: Kind,
    trials: int = 20,
    timeout: float | None = None,
    home: Path | None = None,
    panel: pd.DataFrame | None = None,
    tracking_uri: str | None = None,
    storage: str | None = None,
    seed: int = 0,
    truth_dir: Path | None = None,
    ece_tolerance: float = gate.ECE_TOLERANCE,
    progress: bool = False,
    every_months: int = 1,
    enterprise_fraction: float = 1.0,
    engine: str = "inprocess",
) -> TrainResult:
    """Train, log, register and gate one model; return the registered version and the decision.

    ``progress`` shows a bar over the Optuna trials (the long step). Without a ``panel``, one is
    built from the warehouse; ``every_months`` and ``enterprise_fraction`` thin it (``load_panel``).
    ``engine="dask"`` tunes on that panel, then fits the final model on the training as-of dates of
    every enterprise on a Dask cluster (``fit_on_cluster``): tune on a sample, fit on everything.
    """
    from zonecredit.settings import get_settings

    if kind not in KINDS:
        raise InvalidArguments(f"unknown model {kind!r}; choose one of {', '.join(KINDS)}")
    if engine not in ("inprocess", "dask"):
        raise InvalidArguments(f"unknown training engine {engine!r}; choose inprocess or dask")
    settings = get_settings()
    home = Path(home or settings.home)
    home.mkdir(parents=True, exist_ok=True)
    if panel is None:
        panel = load_panel(kind, home, every_months=every_months, enterprise_fraction=enterprise_fraction)
    train_rows, valid_rows, test_rows = split_out_of_time(panel)
    spec = FeatureSpec.from_registry(kind)
    space = load_search_space()  # before the run: a malformed file starts none
    fingerprint = data_fingerprint(panel)
    name = registered_name(kind)
    y_test = outcome(kind, test_rows)

    with (
        tracking(tracking_uri or settings.resolved_mlflow_tracking_uri) as client,
        interruptible(),
        mlflow.start_run(run_name=f"{kind}-lightgbm", experiment_id=use_experiment(name, home)) as run,
        tempfile.TemporaryDirectory() as staging_dir,
    ):
        staging = Path(staging_dir)
        mlflow.set_tags(
            {
                "role": "model",
                "kind": kind,
                "data_fingerprint": fingerprint,
                "feature_set_version": spec.feature_set_version,
                "code_revision": code_revision(),
            }
        )
        mlflow.log_params(
            {
                "kind": kind,
                "seed": seed,
                "trials": trials,
                "timeout": timeout,
                "rows_train": len(train_rows),
                "rows_valid": len(valid_rows),
                "rows_test": len(test_rows),
                "as_of_train": f"{train_rows['as_of'].min():%Y-%m}..{train_rows['as_of'].max():%Y-%m}",
                "as_of_valid": f"{valid_rows['as_of'].min():%Y-%m}..{valid_rows['as_of'].max():%Y-%m}",
                "as_of_test": f"{test_rows['as_of'].min():%Y-%m}..{test_rows['as_of'].max():%Y-%m}",
                "features": len(spec.features),
                "search_space_version": space.version,
            }
        )
        study = tune(
            kind,
            spec,
            train_rows,
            valid_rows,
            trials,
            timeout,
            storage or f"sqlite:///{(home / 'optuna.db').resolve()}",
            f"zonecredit-{kind}-{fingerprint}-seed{seed}-space{space.version}",
            seed,
            space,
            progress,
        )
        best = _best_params(study, space)
        mlflow.log_params({f"lgb_{k}": v for k, v in best.items()})
        if engine == "dask":
            rounds = int(study.best_trial.user_attrs["best_iteration"])
            model, cluster_rows = fit_on_cluster(
                kind, home, sorted(train_rows["as_of"].unique()), train_rows, valid_rows, best, rounds, seed
            )
            mlflow.log_params({"engine": "dask", "rows_train_cluster": cluster_rows})
        else:
            booster = fit_booster(kind, spec, train_rows, valid_rows, best, seed)
            model = scoring_model(kind, spec, booster, train_rows, valid_rows)
            rounds = booster.best_iteration
        mlflow.log_params(
            {
                "lgb_best_iteration": rounds,
                "calibration": model.calibrator.method,
                **{f"threshold_{k}": v for k, v in model.thresholds.items()},
            }
        )

        p_test, p_train = model.probability(test_rows), model.probability(train_rows)
        metrics = metrics_by_zone(y_test, p_test, test_rows["reg_zone"], "test")
        metrics["valid_auc"] = float(study.best_value)
        metrics["psi_train_test"] = population_stability_index(p_train, p_test)
        metrics |= {f"train_{k}": v for k, v in score_metrics(outcome(kind, train_rows), p_train).items()}
        mlflow.log_metrics(_finite(metrics))

        baselines = _log_baselines(kind, spec, train_rows, test_rows, y_test, truth_dir)
        validation = _log_validation(model, train_rows, test_rows, y_test, seed) if kind == "credit" else {}
        _log_reports(
            kind,
            model,
            test_rows,
            y_test,
            p_test,
            baselines,
            staging,
            {
                "data fingerprint": fingerprint,
                "feature set": spec.feature_set_version,
                "code revision": code_revision(),
                "rows (train/valid/test)": f"{len(train_rows)}/{len(valid_rows)}/{len(test_rows)}",
                "seed": seed,
                "trials in study": len(study.trials),
                **{f"LightGBM {k}": v for k, v in best.items()},
                **validation,
            },
        )

        info = log_pyfunc(model, staging, input_example=serving_rows(test_rows, spec))
        version = mlflow.register_model(info.model_uri, name).version
        client.set_model_version_tag(name, version, "role", "challenger")
        client.set_model_version_tag(name, version, "data_fingerprint", fingerprint)
        for tag, value in mlflow.get_run(run.info.run_id).data.tags.items():
            if tag.startswith(("supervision_policy", "validation_")):  # the model version carries them
                client.set_model_version_tag(name, version, tag, value)
        decision = gate.decide(model, test_rows, y_test, current_champion(client, kind), ece_tolerance)
        mlflow.set_tags(
            {
                "gate_promote": str(decision.promote),
                "gate_reason": decision.reason,
                "registered_version": str(version),
            }
        )
        if decision.champion is not None:
            mlflow.log_metrics(_finite({f"champion_test_{k}": v for k, v in decision.champion.items()}))

    if decision.promote:
        gate.promote(client, name, str(version), decision)
    trials_table = study.trials_dataframe(attrs=("number", "value", "state", "duration", "params"))
    return TrainResult(
        kind,
        run.info.run_id,
        name,
        str(version),
        decision.promote,
        decision.reason,
        metrics,
        decision,
        trials_table,
    )


def _log_validation(
    model: ScoringModel, train: pd.DataFrame, test: pd.DataFrame, y_test: np.ndarray, seed: int
) -> dict[str, str]:
    """Log the initial validation (ECB §2.5) and the supervision policy; return model-card facts."""
    report = initial_validation(model, train, test, outcome(model.kind, train), y_test, seed)
    mlflow.log_dict(report, VALIDATION_ARTIFACT)
    mlflow.log_dict(model.policy.to_toml_dict(), POLICY_ARTIFACT)
    red = [g["grade"] for g in report["jeffreys"]["grades"] if g["light"] == "red"]
    shares = report["policy"]["class_shares"]
    mlflow.set_tags(
        {
            "supervision_policy_version": model.policy.version,
            "supervision_policy_fingerprint": model.policy.fingerprint,
            "validation_auc": f"{report['auc']['value']:.4f}",
            "validation_auc_std": f"{report['auc']['std']:.4f}",
            "validation_jeffreys_red": ",".join(red) or "none",
        }
    )
    mlflow.log_metrics(_finite({f"test_class_share_{k}": v for k, v in shares.items()}))
    return {
        "supervision policy": f"{model.policy.version} ({model.policy.fingerprint})",
        "class shares (test)": ", ".join(f"{k} {v:.1%}" for k, v in shares.items()),
        "AUC (DeLong)": f"{report['auc']['value']:.4f} ± {report['auc']['std']:.4f}",
        "Jeffreys p per grade": ", ".join(
            f"{g['grade']} {g['p_value']:.3f}"
            for g in report["jeffreys"]["grades"]
            if g["p_value"] is not None
        ),
    }


def _log_reports(
    kind: Kind,
    model: ScoringModel,
    test: pd.DataFrame,
    y_test: np.ndarray,
    p_test: np.ndarray,
    baselines: dict[str, np.ndarray],
    staging: Path,
    facts: dict[str, Any],
) -> None:
    """Log ROC, calibration and SHAP summary plots and the model card."""
    curves = {"lightgbm": (y_test, p_test)}
    for label, p in baselines.items():
        known = ~np.isnan(p)
        curves[label] = (y_test[known], p[known])
    mlflow.log_artifact(str(roc_plot(curves, staging / "roc.png")), "plots")
    mlflow.log_artifact(str(calibration_plot(y_test, p_test, staging / "calibration.png")), "plots")
    sample = test.sample(min(SHAP_SAMPLE_ROWS, len(test)), random_state=0)
    matrix = model.spec.matrix(sample)
    contributions = model.raw(matrix, pred_contrib=True)
    mlflow.log_artifact(
        str(shap_summary_plot(contributions, matrix, model.spec.features, staging / "shap_summary.png")),
        "plots",
    )
    importance = np.abs(contributions[:, :-1]).mean(axis=0)
    top = [model.spec.features[i] for i in np.argsort(-importance)[:10]]
    comparison = pd.DataFrame([{"model": label, **score_metrics(y, p)} for label, (y, p) in curves.items()])[
        ["model", "auc", "ks", "gini", "brier", "ece"]
    ]
    mlflow.log_text(model_card(kind, facts, comparison, top), "model_card.md")

"""`zonecredit train`, `evaluate` and `validate`: the models' life from tuning to validation."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from zonecredit.commands.common import (
    JsonOption,
    cell,
    console,
    fail,
    print_json,
    stray_output_to_stderr,
    table,
)
from zonecredit.settings import get_settings


def train(
    kind: Annotated[str, typer.Argument(help="credit, repair or activity.")],
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials (the study resumes across runs).")] = 20,
    timeout: Annotated[float | None, typer.Option(min=1, help="Stop tuning after this many seconds.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sampler and of LightGBM.")] = 0,
    every: Annotated[int, typer.Option(min=1, help="Space the panel's as-of dates this many months.")] = 1,
    sample: Annotated[
        float, typer.Option(min=0.001, max=1.0, help="Train on this share of enterprises (whole).")
    ] = 1.0,
    engine: Annotated[
        str, typer.Option(help="inprocess, or dask: tune on the panel, fit on every enterprise on Dask.")
    ] = "inprocess",
    truth: Annotated[
        Path | None,
        typer.Option(help="Ground truth of a synthetic world for the oracle baseline (default: if any)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Tune, log to MLflow, register, and promote the model if it beats the champion."""
    from models.scoring import KINDS
    from training.train import train as train_model
    from zonecredit.demo import demo_truth

    if kind not in KINDS:
        fail(f"unknown model {kind!r}; choose one of {', '.join(KINDS)}")
    if engine not in ("inprocess", "dask"):
        fail(f"unknown engine {engine!r}; choose inprocess or dask")
    home = get_settings().home
    truth = truth or demo_truth(home)
    with console.status(f"training {kind} ({trials} trials)…", spinner="dots"), stray_output_to_stderr():
        result = train_model(
            kind,
            trials=trials,
            timeout=timeout,
            home=home,
            seed=seed,
            truth_dir=truth,
            every_months=every,
            enterprise_fraction=sample,
            engine=engine,
        )
    summary = {
        "kind": result.kind,
        "model": result.model_name,
        "version": result.version,
        "promoted": result.promoted,
        "reason": result.reason,
        "run_id": result.run_id,
        **{k: v for k, v in result.metrics.items() if k in ("test_auc", "test_ks", "test_ece", "valid_auc")},
    }
    if as_json:
        print_json(summary)
        return
    console.print(table(f"{result.model_name} v{result.version}", list(summary), [list(summary.values())]))


def evaluate(
    kind: Annotated[
        list[str] | None, typer.Option(help="Only these models (repeat); default: all three.")
    ] = None,
    runs: Annotated[int, typer.Option(min=1, help="Most recent runs per model and role.")] = 3,
    as_json: JsonOption = False,
) -> None:
    """Compare model runs with the scorecard and oracle baselines on their out-of-time tests."""
    from models.scoring import KINDS
    from training.evaluate import evaluate as evaluate_runs

    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        fail(f"unknown model {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    frame = evaluate_runs(kinds=tuple(kind) if kind else KINDS)
    frame = frame.groupby(["kind", "role"], sort=False, dropna=False).head(runs)
    if as_json:
        print_json(json.loads(frame.to_json(orient="records", date_format="iso")))
        return
    if frame.empty:
        console.print("No training runs yet: run `zonecredit train credit` first.")
        return
    rows = []
    for run in frame.to_dict("records"):
        version = run["registered_version"]
        name = f"{run['run_name']} v{version}" if isinstance(version, str) else run["run_name"]
        status = "" if run["status"] == "FINISHED" else f" ({str(run['status']).lower()})"
        rows.append(
            [
                name + (" ★" if run["champion"] else "") + status,
                *(cell(run[k]) for k in ("test_auc", "test_ks", "test_ece", "test_brier")),
                f"{run['start_time']:%m-%d %H:%M}",
            ]
        )
    console.print(
        table(
            "model runs and baselines (out-of-time test period)",
            ["run (★ champion)", "AUC", "KS", "ECE", "Brier", "started"],
            rows,
        )
    )


def validate(
    kind: Annotated[str, typer.Option(help="The graded model to validate.")] = "credit",
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Validate as of this month-end (default: last matured)."),
    ] = None,
    every: Annotated[int, typer.Option(min=1, help="Months between the as-of dates of PD over time.")] = 3,
    as_json: JsonOption = False,
) -> None:
    """Validate the champion's rating system (ECB §2.5): Jeffreys, AUC, migration, concentration, PSI."""
    from training.monitoring import validate as validate_champion

    with console.status(f"validating {kind}…", spinner="dots"), stray_output_to_stderr():
        report = validate_champion(get_settings().home, kind, as_of.date() if as_of else None, every)
    if as_json:
        print_json(report)
        return
    rows = [
        [
            f"Jeffreys {g['grade']}",
            g["n"],
            f"{g['pd']:.4f}",
            f"{g['default_rate']:.4f}",
            g["p_value"],
            g["light"],
        ]
        for g in report["jeffreys"]["grades"]
    ]
    auc = report["auc"]
    rows.append(
        ["AUC (DeLong)", report["rows_with_outcome"], auc["value"], auc["std"], auc["p_value"], auc["light"]]
    )
    rows.append(["score PSI", report["rows"], report["psi"]["score"], "", "", report["psi"]["score_light"]])
    title = f"{report['model']['name']} v{report['model']['version']} as of {report['as_of']}"
    console.print(table(title, ["test", "n", "value", "realised / std", "p", "light"], rows))

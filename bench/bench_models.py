"""Model training time, and full model output against the raw booster on the same rows.

    uv run python -m bench.bench_models [--rows 100000,1000000] [--trees 300] [--leaves 15]

Training runs in a child process per size (its own peak memory) on synthetic feature rows with
every registry column filled. Scoring compares ``ScoringModel.predict`` (PD, score, grade, class;
then with reasons) with ``booster.predict`` / ``pred_contrib`` on the already-built matrix, one
thread each, best of several repeats; the projection for 100,000 enterprises scales the per-row
time of explanations at 1,000 rows. The reasons' contributions (Fast TreeSHAP, ``models/treeshap.py``)
are timed against LightGBM's ``pred_contrib`` on the same 1,000 rows and threads, with their
largest difference.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import machine, measure, print_table
from models.scoring import ScoringModel

TRAIN = """
import sys, time
import lightgbm as lgb
from bench.bench_models import feature_rows, risk_params
from models.preprocess import FeatureSpec
rows, trees, leaves, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
frame, outcome = feature_rows(rows, seed=0)
spec = FeatureSpec.from_registry("credit")
start = time.perf_counter()
matrix = spec.matrix(frame)
del frame
data = lgb.Dataset(matrix, outcome, categorical_feature=spec.categorical_indices)
booster = lgb.train(risk_params(spec, leaves), data, num_boost_round=trees)
seconds = time.perf_counter() - start
booster.save_model(out)
_result = {"rows": rows, "seconds": seconds}
"""


def feature_rows(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Return ``n`` credit feature rows, every numeric column filled, and a default outcome."""
    from features.registry import CATEGORIES, FEATURE_SETS, FEATURES_BY_NAME

    rng = np.random.default_rng(seed)
    names = FEATURE_SETS["credit"].features
    numeric = [f for f in names if FEATURES_BY_NAME[f].kind == "numeric"]
    data: dict[str, object] = dict(zip(numeric, rng.standard_normal((len(numeric), n)), strict=True))
    for name in names:
        if name in CATEGORIES:
            levels = CATEGORIES[name]
            data[name] = pd.Categorical.from_codes(rng.integers(0, len(levels), n), categories=levels)
    frame = pd.DataFrame(data)
    sign = np.array(
        [
            {"increases_risk": 1, "decreases_risk": -1}.get(FEATURES_BY_NAME[f].direction, 0)
            for f in numeric[:20]
        ]
    )
    logit = -2.0 + frame[numeric[:20]].to_numpy() @ (0.3 * sign)
    return frame, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float64)


def risk_params(spec: object, leaves: int) -> dict:
    from training.fit import booster_params

    return booster_params(spec, "credit", {"num_leaves": leaves, "learning_rate": 0.05}, seed=0)  # type: ignore[arg-type]


def _best(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def _reasons_only(model: ScoringModel, matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Contributions and their wording, without building the matrix or the output frame."""
    return model.reason_writer.top(matrix, model.raw(matrix, pred_contrib=True), 3)


def _treeshap_rows(model: ScoringModel, matrix: np.ndarray) -> list[list[object]]:
    """Fast TreeSHAP against ``pred_contrib`` for the same rows, on 1 and 2 threads."""
    assert model.shap is not None
    rows = []
    for threads in (1, 2):
        reference = model.booster.predict(matrix, pred_contrib=True, num_threads=threads)
        difference = float(np.abs(model.shap.contributions(matrix, threads) - reference).max())
        theirs, ours = float("inf"), float("inf")
        for _ in range(7):  # alternated, so both see the same moments of a shared machine
            theirs = min(
                theirs,
                _best(lambda t=threads: model.booster.predict(matrix, pred_contrib=True, num_threads=t), 1),
            )
            ours = min(ours, _best(lambda t=threads: model.shap.contributions(matrix, t), 1))  # type: ignore[union-attr]
        rows.append(
            [
                f"{len(matrix):,}",
                threads,
                f"{theirs * 1e3:.1f}",
                f"{ours * 1e3:.1f}",
                f"{ours / theirs:.3f}×",
                f"{difference:.1e}",
            ]
        )
    return rows


def _scoring_rows(model_file: Path, trees: int, leaves: int) -> tuple[list[list[object]], list[list[object]]]:
    import lightgbm as lgb

    from models.calibration import Calibrator
    from models.improvements import improvement_targets
    from models.preprocess import FeatureSpec
    from models.reasons import ReasonWording

    spec = FeatureSpec.from_registry("credit")
    booster = lgb.Booster(model_file=str(model_file))
    sample, outcome = feature_rows(5_000, seed=1)
    sample_matrix = spec.matrix(sample)
    raw = booster.predict(sample_matrix, num_threads=1)
    model = ScoringModel(
        kind="credit",
        booster=booster,
        spec=spec,
        calibrator=Calibrator.fit(raw, outcome, "platt"),
        wording=ReasonWording.fit(spec.features, sample_matrix, spec.categorical_indices),
        improvement_targets=improvement_targets(spec.features, sample_matrix),
    )
    rows = []
    per_row_reasons = 0.0
    for n in (1, 1_000):
        frame = sample.head(n)
        matrix = spec.matrix(frame)
        repeats = 20 if n == 1 else 5
        raw_predict = _best(lambda m=matrix: booster.predict(m, num_threads=1), repeats)
        full = _best(lambda f=frame: model.predict(f, top_reasons=0), repeats)
        raw_contrib = _best(lambda m=matrix: booster.predict(m, pred_contrib=True, num_threads=1), repeats)
        reasons = _best(lambda m=matrix: _reasons_only(model, m), repeats)
        everything = _best(lambda f=frame: model.predict(f, top_reasons=3), repeats)
        rows.append(
            [
                f"{n:,}",
                f"{raw_predict * 1e3:.2f}",
                f"{full * 1e3:.2f}",
                f"{full / raw_predict:.2f}×",
                f"{raw_contrib * 1e3:.1f}",
                f"{reasons * 1e3:.1f}",
                f"{reasons / raw_contrib:.2f}×",
                f"{everything * 1e3:.1f}",
            ]
        )
        per_row_reasons = everything / n
    treeshap = _treeshap_rows(model, matrix)
    projection = per_row_reasons * 100_000
    rows.append(
        [
            "100,000 (projected)",
            "",
            "",
            "",
            "",
            "",
            "",
            f"{projection:.0f} s on 1 thread, ≈{projection / 2:.0f} s on 2 ({trees} trees, {leaves} leaves)",
        ]
    )
    return rows, treeshap


def run(sizes: list[int], trees: int, leaves: int) -> str:
    """Measure training at each size, then scoring with the model of the largest; return tables."""
    training = []
    with tempfile.TemporaryDirectory() as tmp:
        model_file = Path(tmp) / "booster.txt"
        for rows in sizes:
            result = measure(TRAIN, str(rows), str(trees), str(leaves), str(model_file))
            training.append(
                [f"{rows:,}", trees, leaves, f"{result['seconds']:.1f}", f"{result['peak_mib']:,.0f}"]
            )
        scoring, treeshap = _scoring_rows(model_file, trees, leaves)
    text = print_table(
        f"Credit model training (LightGBM, 1 thread, {trees} trees) — {machine()}",
        ["rows", "trees", "leaves", "train s", "peak MiB"],
        training,
    )
    text += "\n" + print_table(
        "Full model output vs raw booster (same rows and matrix, 1 thread, best of repeats)",
        [
            "rows",
            "booster.predict ms",
            "PD/score/grade/class ms",
            "ratio",
            "pred_contrib ms",
            "reasons ms",
            "ratio",
            "full output with reasons ms",
        ],
        scoring,
    )
    text += "\n" + print_table(
        f"Reasons' contributions: Fast TreeSHAP v2 vs LightGBM pred_contrib ({trees} trees, {leaves} leaves)",
        ["rows", "threads", "pred_contrib ms", "Fast TreeSHAP ms", "ratio", "max |difference|"],
        treeshap,
    )
    return text


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="100000", help="comma-separated training sizes (1000000: opt-in)")
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--leaves", type=int, default=15)
    args = parser.parse_args(argv)
    return run([int(r) for r in args.rows.split(",")], args.trees, args.leaves)


if __name__ == "__main__":
    main()

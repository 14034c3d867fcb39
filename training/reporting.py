"""Plots and the model card logged with every run (SPEC §6).

Plots are drawn on figures of their own and never switch matplotlib's backend, so training from a
notebook leaves its inline plots working.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.registry import FEATURES_BY_NAME


def roc_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> Path:
    """Draw ROC curves (name → (outcome, probability)) into ``path``."""
    from matplotlib.figure import Figure
    from sklearn.metrics import roc_auc_score, roc_curve

    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    for name, (y, p) in curves.items():
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, p):.3f})")
    ax.plot([0, 1], [0, 1], ls=":", c="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, out-of-time test")
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def calibration_plot(y: np.ndarray, p: np.ndarray, path: Path, bins: int = 10) -> Path:
    """Draw observed against predicted rate over equal-count bins into ``path``."""
    from matplotlib.figure import Figure

    order = np.argsort(p, kind="stable")
    parts = [part for part in np.array_split(order, bins) if len(part)]
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.plot([p[i].mean() for i in parts], [y[i].mean() for i in parts], "o-", label="model")
    top = float(max(p.max(), y.mean()))
    ax.plot([0, top], [0, top], ls=":", c="grey")
    ax.set(xlabel="predicted", ylabel="observed", title="Calibration, out-of-time test")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def shap_summary_plot(
    contributions: np.ndarray, matrix: np.ndarray, features: tuple[str, ...], path: Path
) -> Path:
    """Draw the ``shap`` summary (beeswarm) of native TreeSHAP contributions into ``path``."""
    import matplotlib.pyplot as plt
    import shap

    fig = plt.figure()  # shap draws on pyplot's current figure: make it this one, then close only it
    try:
        shap.summary_plot(
            contributions[:, :-1], matrix, feature_names=list(features), show=False, max_display=20
        )
        fig.savefig(path, dpi=100, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def model_card(kind: str, facts: dict[str, Any], comparison: pd.DataFrame, top_features: list[str]) -> str:
    """Return the Markdown model card of a run."""
    lines = [f"# Model card — zonecredit-{kind}", ""]
    lines += [f"- **{k}**: {v}" for k, v in facts.items()]
    lines += ["", "## Out-of-time test: model against baselines", "", markdown_table(comparison)]
    lines += ["", "## Most influential features (mean |SHAP|)", ""]
    lines += [
        f"1. `{n}` — {FEATURES_BY_NAME[n].description_zh} / {FEATURES_BY_NAME[n].description_en}"
        for n in top_features
    ]
    lines += [
        "",
        "## Intended use and limits",
        "",
        "Graded supervision of development-zone enterprises from public records (SPEC §5). "
        "Scores rank risk and carry reasons; policy overrides (serious dishonesty, judgment "
        "defaulter, abnormal operation, tax grade D) apply after the model. Monotone constraints "
        "follow the feature registry. Not a lending decision.",
    ]
    return "\n".join(lines) + "\n"


def markdown_table(frame: pd.DataFrame) -> str:
    """Return ``frame`` as a Markdown table, floats to four decimals (no tabulate needed)."""

    def cell(value: Any) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])

"""Run plots leave matplotlib as they found it, so a notebook that trains keeps its inline plots."""

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from training.reporting import calibration_plot, roc_plot, shap_summary_plot


def test_plots_are_written_without_switching_the_backend_or_leaving_figures_open(tmp_path: Path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200).astype(float)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1)
    matrix = rng.normal(size=(200, 3))
    contributions = np.column_stack([matrix, np.zeros(200)])
    previous = matplotlib.get_backend()
    matplotlib.use("svg")  # stands in for a notebook's inline backend
    try:
        open_before = plt.get_fignums()
        written = [
            roc_plot({"model": (y, p)}, tmp_path / "roc.png"),
            calibration_plot(y, p, tmp_path / "calibration.png"),
            shap_summary_plot(contributions, matrix, ("a", "b", "c"), tmp_path / "shap.png"),
        ]
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == open_before
    finally:
        matplotlib.use(previous)
    assert all(path.stat().st_size > 1000 for path in written)

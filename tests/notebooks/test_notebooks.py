"""The analyst notebooks run top to bottom on one small synthetic world, in their order.

The world is generated and ingested once for the module; the notebooks then share its data
directory, so 3.01 finds the panel 1.01 describes and 4.01 explains the champion that 3.01 promoted.
Each notebook asserts its own results (feature count, gate decision, champion AUC, finite PSI); a
failing assert fails the test with the cell and its traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.notebooks.outputs import NOTEBOOKS, notebook_paths

ENTERPRISES, MONTHS, SEED = 1_000, 48, 7  # what 0.01 generates itself on an empty data directory
CELL_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Return a data directory holding the ingested world; kernels inherit it through the environment."""
    from zonecredit.demo import run_demo
    from zonecredit.settings import get_settings

    home = tmp_path_factory.mktemp("notebooks") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZONECREDIT_HOME", str(home))
        patch.setenv("ZONECREDIT_WAREHOUSE_BUCKETS", "4")  # a thousand enterprises need few files
        # The environment's own kernel first, whatever python3 kernel the user has installed.
        patch.setenv("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))
        for name in ("ZONECREDIT_DATABASE_URL", "ZONECREDIT_MLFLOW_TRACKING_URI"):
            patch.delenv(name, raising=False)
        get_settings.cache_clear()
        run_demo(home, enterprises=ENTERPRISES, months=MONTHS, seed=SEED)
        yield home
    get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path: Path, world: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_SECONDS,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    print(f"{path.name}: {time.monotonic() - started:.0f} s")
    assert all(cell.get("execution_count") for cell in notebook.cells if cell.cell_type == "code")

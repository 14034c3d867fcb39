"""The committed notebooks: named PHASE.NN-topic, free of outputs, and glue rather than logic."""

import ast
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tests.notebooks.outputs import leftovers, main, notebook_paths, strip

EXPECTED = [
    "0.01-explore-sources.ipynb",
    "1.01-build-features.ipynb",
    "3.01-retrain-credit-model.ipynb",
    "4.01-explain-and-monitor.ipynb",
]


def test_the_analyst_notebooks_are_there_and_named_phase_nn_topic():
    names = [path.name for path in notebook_paths()]
    assert names == EXPECTED
    assert all(re.fullmatch(r"\d\.\d\d-[a-z0-9]+(-[a-z0-9]+)*\.ipynb", name) for name in names)


def test_committed_notebooks_carry_no_outputs_or_execution_counts():
    assert [line for path in notebook_paths() for line in leftovers(path)] == []
    assert main([]) == 0


def test_notebooks_define_no_functions_or_classes_of_their_own():
    for path in notebook_paths():
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for number, cell in enumerate(notebook.cells, 1):
            if cell.cell_type == "code":
                tree = ast.parse(cell.source)
                defined = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
                assert not defined, f"{path.name} cell {number}: logic belongs in the packages"


def test_an_executed_notebook_is_caught_and_stripped(tmp_path: Path, capsys):
    cell = new_code_cell(
        "1 + 1", execution_count=3, outputs=[new_output("execute_result", {"text/plain": "2"})]
    )
    cell.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    path = tmp_path / "0.01-run.ipynb"
    nbformat.write(new_notebook(cells=[cell]), path)
    assert leftovers(path) == [
        "0.01-run.ipynb cell 1: 1 output(s)",
        "0.01-run.ipynb cell 1: execution count 3",
    ]
    assert main([str(path)]) == 1
    assert "make strip-notebooks" in capsys.readouterr().out
    assert strip(path) and not strip(path)
    assert leftovers(path) == []
    stripped = nbformat.read(path, as_version=4).cells[0]
    assert stripped.source == "1 + 1" and "execution" not in stripped.metadata

"""Notebooks are committed without outputs: list the ones that carry some, or strip them.

``python -m tests.notebooks.outputs`` names every offending cell and exits 1; with ``--strip`` it
clears outputs and execution counts in place (``make strip-notebooks``). Outputs stay out of commits
because they hold one machine's data and make every diff unreadable.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def notebook_paths(folder: Path = NOTEBOOKS) -> list[Path]:
    """Return the notebooks under ``folder``, in the order they are meant to run."""
    return sorted(folder.glob("*.ipynb"))


def leftovers(path: Path) -> list[str]:
    """Return what a committed notebook must not carry, one line per cell: outputs, execution counts."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            found.append(f"{path.name} cell {number}: {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            found.append(f"{path.name} cell {number}: execution count {cell.execution_count}")
    return found


def strip(path: Path) -> bool:
    """Clear outputs, execution counts and run timings in place; return whether anything changed."""
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        changed |= bool(cell.get("outputs")) or cell.get("execution_count") is not None
        changed |= cell.metadata.pop("execution", None) is not None
        cell.outputs, cell.execution_count = [], None
    if changed:
        nbformat.write(notebook, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every one in notebooks/)")
    parser.add_argument("--strip", action="store_true", help="clear outputs in place instead of failing")
    args = parser.parse_args(argv)
    paths = args.paths or notebook_paths()
    if args.strip:
        for path in paths:
            if strip(path):
                print(f"stripped {path}")
        return 0
    found = [line for path in paths for line in leftovers(path)]
    for line in found:
        print(line)
    if found:
        print("notebooks are committed without outputs: run `make strip-notebooks`")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

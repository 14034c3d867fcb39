"""What every command shares: the console, the --json option, tables, one-line errors."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

console = Console()
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
NoRescoreOption = Annotated[
    bool, typer.Option("--no-rescore", help="Do not rescore the enterprises the batches touch.")
]


def fail(message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


@contextlib.contextmanager
def stray_output_to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at stderr while work runs, so stdout carries only the summary.

    Processes started meanwhile inherit it: the workers of a local Dask cluster print LightGBM's
    network set-up to their stdout, which would otherwise corrupt ``--json``.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


def cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if value != value else f"{value:.4f}"
    return value


def quality_table(rows: list[dict[str, Any]]) -> Table:
    return table(
        "data quality by batch",
        [
            "source",
            "file",
            "rows in",
            "loaded",
            "quarantined",
            "load rate",
            "min completeness",
            "dups",
            "lag p50/p90 d",
        ],
        [
            [
                r["source"],
                r["file"],
                f"{r['rows_in']:,}",
                f"{r['rows_loaded']:,}",
                f"{r['rows_quarantined']:,}",
                f"{r['load_rate']:.2%}" if r["load_rate"] is not None else "",
                f"{r['min_completeness']:.2%}" if r["min_completeness"] is not None else "",
                r["duplicates"],
                f"{r['timeliness_median_days']}/{r['timeliness_p90_days']}",
            ]
            for r in rows
        ],
    )

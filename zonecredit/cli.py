"""The ``zonecredit`` command: one Typer root, a sub-command group per noun.

Each command is a thin wrapper over a typed library function; summaries print as Rich tables, or as
JSON with ``--json`` for scripts. Domain errors become a one-line message and exit code 2.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from zonecredit.settings import get_settings

app = typer.Typer(
    help="Credit scoring and early warning for development-zone enterprises.", no_args_is_help=True
)
data_app = typer.Typer(
    help="Raw sources: contracts, synthetic world, ingestion, data quality.", no_args_is_help=True
)
app.add_typer(data_app, name="data")
features_app = typer.Typer(
    help="Point-in-time features: build a feature table, describe the registry.", no_args_is_help=True
)
app.add_typer(features_app, name="features")

console = Console()
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def _fail(message: str) -> None:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


@data_app.command("sources")
def data_sources(as_json: JsonOption = False) -> None:
    """List the source contracts: columns, types, units, keys and Chinese header aliases."""
    from data.contracts import SOURCES

    if as_json:
        _print_json(
            {
                s.name: {
                    "title_zh": s.title_zh,
                    "grain": s.grain,
                    "key": list(s.key),
                    "columns": [
                        {
                            "name": c.name,
                            "kind": c.kind,
                            "unit": c.unit,
                            "required": c.required,
                            "aliases": c.aliases,
                        }
                        for c in s.columns
                    ],
                }
                for s in SOURCES.values()
            }
        )
        return
    for s in SOURCES.values():
        rows = [
            [c.name, c.kind, c.unit or "", "yes" if c.required else "no", " / ".join(c.aliases)]
            for c in s.columns
        ]
        console.print(
            _table(
                f"{s.name} {s.title_zh} — {s.grain}, key ({', '.join(s.key)})",
                ["column", "type", "unit", "required", "Chinese headers"],
                rows,
            )
        )


@data_app.command("synth")
def data_synth(
    out: Annotated[Path, typer.Option(help="Folder to write sources/ and truth/ into.")],
    enterprises: Annotated[int, typer.Option(min=10, help="Enterprises in the world.")] = 10_000,
    months: Annotated[int, typer.Option(min=12, help="Months of history.")] = 48,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2022-01",
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives byte-identical files.")] = 0,
    mess_rate: Annotated[
        float, typer.Option(min=0.0, max=0.5, help="Share of deliberately messy rows.")
    ] = 0.01,
    as_json: JsonOption = False,
) -> None:
    """Generate a synthetic five-zone world with ground truth, ready for `data ingest`."""
    from data.synth import generate_world

    with console.status(f"generating {enterprises:,} enterprises × {months} months…", spinner="dots"):
        world = generate_world(
            out, enterprises=enterprises, months=months, start=start, seed=seed, mess_rate=mess_rate
        )
    if as_json:
        _print_json({"out": str(world.out), "rows": world.rows, "mess_rows": world.mess_rows})
        return
    console.print(
        _table(
            f"synthetic world in {world.out} (seed {seed})",
            ["source", "rows", "files"],
            [[name, f"{rows:,}", len(world.files.get(name, []))] for name, rows in world.rows.items()],
        )
    )
    console.print(
        f"{world.mess_rows:,} deliberately messy rows are listed in {world.out / 'truth' / 'mess.csv'}"
    )


@data_app.command("ingest")
def data_ingest(
    source: Annotated[str, typer.Argument(help="Source name, e.g. tax (see `zonecredit data sources`).")],
    files: Annotated[list[Path], typer.Argument(help="Files or folders (CSV, Parquet, .xlsx).")],
    received_on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Date the batch arrived (default today).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Validate files, load the valid rows and quarantine the rest with the reason."""
    from data.contracts import SOURCES
    from data.ingest import ingest_files

    if source not in SOURCES:
        _fail(f"unknown source {source!r}; known sources: {', '.join(SOURCES)}")
    settings = get_settings()
    with console.status(f"ingesting {source}…", spinner="dots"):
        report = ingest_files(
            source,
            files,
            settings.home,
            received_on.date() if received_on else None,
            settings.warehouse_buckets,
            settings.ingest_chunk_rows,
        )
    if as_json:
        _print_json(report.to_dict())
    else:
        rows = [
            [
                Path(b.file).name,
                b.status,
                b.rows_in,
                b.rows_loaded,
                b.rows_quarantined,
                ", ".join(f"{k} {v}" for k, v in b.reasons.items()),
                b.message
                if b.status != "loaded"
                else ", ".join(b.ignored_columns) and f"ignored: {', '.join(b.ignored_columns)}",
            ]
            for b in report.batches
        ]
        console.print(
            _table(
                f"ingest {source}",
                ["file", "status", "rows in", "loaded", "quarantined", "reasons", "note"],
                rows,
            )
        )
    if report.rejected:
        errors = Console(stderr=True, soft_wrap=True)
        for batch in report.rejected:
            errors.print(f"[bold red]rejected:[/] {batch.message}", highlight=False)
        raise typer.Exit(1)


@data_app.command("quality")
def data_quality(
    source: Annotated[str | None, typer.Argument(help="Only this source.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the data-quality report of every batch: completeness, validity, timeliness, load rate."""
    from data.quality import quality_rows

    rows = quality_rows(get_settings().home, source)
    if as_json:
        _print_json(rows)
        return
    console.print(_quality_table(rows))


def _quality_table(rows: list[dict[str, Any]]) -> Table:
    return _table(
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


@data_app.command("quarantine")
def data_quarantine(
    source: Annotated[str, typer.Argument(help="Source name.")],
    limit: Annotated[int, typer.Option(min=1, help="Rows to show.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Show quarantined rows of a source with their batch, row number and reason."""
    from data.warehouse import read_quarantine

    frame = read_quarantine(source, get_settings().home)
    if as_json:
        _print_json(frame.head(limit).to_dict(orient="records"))
        return
    console.print(
        _table(
            f"{source}: {len(frame):,} quarantined rows (showing {min(limit, len(frame))})",
            ["file", "row", "reason"],
            [[r.file, r.row_number, r.reason] for r in frame.head(limit).itertuples()],
        )
    )


@features_app.command("build")
def features_build(
    as_of: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Features as known on this date.")],
    engine: Annotated[
        str, typer.Option(help="inprocess, chunked (larger than memory) or dask.")
    ] = "inprocess",
    as_json: JsonOption = False,
) -> None:
    """Compute every enterprise's features as of a date and write them to the warehouse."""
    from features.engines import ENGINES, build_features

    if engine not in ENGINES:
        _fail(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    with console.status(f"building features as of {as_of:%Y-%m-%d} ({engine})…", spinner="dots"):
        path = build_features(as_of.date(), get_settings().home, engine)
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    summary = {"path": str(path), "enterprises": meta.num_rows, "columns": meta.num_columns}
    if as_json:
        _print_json(summary)
    else:
        console.print(f"{meta.num_rows:,} enterprises × {meta.num_columns} columns → {path}")


@features_app.command("describe")
def features_describe(
    feature_set: Annotated[
        str | None, typer.Option(help="credit, repair or activity (default: all).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the feature registry: meaning in Chinese and English, source, window, risk direction."""
    from features.registry import FEATURE_SETS, describe_features

    if feature_set is not None and feature_set not in FEATURE_SETS:
        _fail(f"unknown feature set {feature_set!r}; choose one of {', '.join(FEATURE_SETS)}")
    frame = describe_features(feature_set)
    if as_json:
        rows = json.loads(frame.to_json(orient="records", force_ascii=False))  # NaN → null
        _print_json({"feature_set_version": frame.attrs["feature_set_version"], "features": rows})
        return
    console.print(
        _table(
            f"{len(frame)} features — feature-set version {frame.attrs['feature_set_version']}",
            ["name", "source", "window", "direction", "actionable", "description"],
            [
                [
                    r.name,
                    r.source,
                    r.window_months or "",
                    r.direction,
                    "yes" if r.actionable else "",
                    f"{r.description_zh} / {r.description_en}",
                ]
                for r in frame.itertuples()
            ],
        )
    )


@app.command("demo")
def demo(
    enterprises: Annotated[int, typer.Option(min=100, help="Enterprises in the synthetic world.")] = 2000,
    months: Annotated[int, typer.Option(min=12, help="Months of history.")] = 48,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world.")] = 7,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Keep serving afterwards.")] = True,
) -> None:
    """Run the main job end to end on a synthetic world, then (by default) keep serving."""
    from zonecredit.demo import run_demo

    settings = get_settings()
    result = run_demo(settings.home, enterprises=enterprises, months=months, seed=seed, console=console)
    from data.quality import quality_rows

    console.print(_quality_table(quality_rows(settings.home)))
    console.print(
        f"[bold]demo[/]: {result['rows_loaded']:,} rows loaded, {result['rows_quarantined']:,} quarantined "
        f"from {result['files']} files into {settings.home}"
    )
    if serve:
        console.print("Serving arrives with the scoring service; nothing more to serve yet.")


def main() -> None:
    """Entry point that turns domain errors into a message instead of a traceback."""
    from data.errors import ZonecreditError

    try:
        app()
    except ZonecreditError as exc:
        _fail(str(exc))


if __name__ == "__main__":  # pragma: no cover
    main()

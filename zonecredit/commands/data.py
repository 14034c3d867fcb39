"""`zonecredit data`: source contracts, the synthetic world, ingestion, quality, quarantine."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from zonecredit.commands.common import (
    JsonOption,
    NoRescoreOption,
    console,
    fail,
    print_json,
    quality_table,
    table,
)
from zonecredit.commands.profiles import profiles_app
from zonecredit.settings import get_settings

data_app = typer.Typer(
    help="Raw sources: contracts, synthetic world, ingestion, data quality.", no_args_is_help=True
)
data_app.add_typer(profiles_app, name="profiles")


@data_app.command("sources")
def data_sources(as_json: JsonOption = False) -> None:
    """List the source contracts: columns, types, units, keys and Chinese header aliases."""
    from data.contracts import SOURCES

    if as_json:
        print_json(
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
            table(
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
    form: Annotated[
        str,
        typer.Option(
            "--format", help="standard, or national: credit records and A/D tax lists in national layouts."
        ),
    ] = "standard",
    as_json: JsonOption = False,
) -> None:
    """Generate a synthetic five-zone world with ground truth, ready for `data ingest`."""
    from data.synth import generate_world

    if form not in {"standard", "national"}:
        fail(f"--format {form!r}: use standard or national")
    with console.status(f"generating {enterprises:,} enterprises × {months} months…", spinner="dots"):
        world = generate_world(
            out,
            enterprises=enterprises,
            months=months,
            start=start,
            seed=seed,
            mess_rate=mess_rate,
            form=form,
        )
    if as_json:
        print_json({"out": str(world.out), "rows": world.rows, "mess_rows": world.mess_rows})
        return
    console.print(
        table(
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
    files: Annotated[list[Path], typer.Argument(help="Files or folders (CSV, Parquet, .xlsx, .xls).")],
    received_on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Date the batch arrived (default today).")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(help="Map a header by hand, HEADER=column (repeatable), e.g. 增值税销售额=vat_sales."),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Read only this sheet of a workbook.")] = None,
    profile: Annotated[
        str | None, typer.Option(help="A saved profile (see `zonecredit data profiles list`).")
    ] = None,
    no_rescore: NoRescoreOption = False,
    as_json: JsonOption = False,
) -> None:
    """Validate files, load the valid rows and quarantine the rest; rescore the enterprises touched."""
    from data.contracts import SOURCES
    from data.ingest import ingest_files
    from data.profiles import load_profile, parse_column_mappings

    if source not in SOURCES:
        fail(f"unknown source {source!r}; known sources: {', '.join(SOURCES)}")
    settings = get_settings()
    mappings = parse_column_mappings(column or [])
    chosen = load_profile(settings.home, profile) if profile else None
    with console.status(f"ingesting {source}…", spinner="dots"):
        report = ingest_files(
            source,
            files,
            settings.home,
            received_on.date() if received_on else None,
            settings.warehouse_buckets,
            settings.ingest_chunk_rows,
            columns=mappings,
            sheet=sheet,
            profile=chosen,
        )
    if as_json:
        print_json(report.to_dict())
    else:
        console.print(_ingest_table(source, report.batches))
        for entry in report.not_ingested:
            console.print(f"not ingested: {entry['path']} — {entry['reason']}", highlight=False)
    if not no_rescore:
        _rescore_touched(report.batches, as_json)
    if report.rejected:
        errors = Console(stderr=True, soft_wrap=True)
        for batch in report.rejected:
            errors.print(f"[bold red]rejected:[/] {batch.message}", highlight=False)
        raise typer.Exit(1)


def _ingest_table(source: str, batches: list[Any]) -> Table:
    def note(b: Any) -> str:
        if b.status != "loaded":
            return str(b.message)
        parts = [f"layout: {b.layout}"] if b.layout else []
        parts += [f"ignored: {', '.join(b.ignored_columns)}"] if b.ignored_columns else []
        parts += [f"sheets ignored: {', '.join(b.ignored_sheets)}"] if b.ignored_sheets else []
        parts += [f"{c} converted from {u}" for c, u in b.units.items()]
        parts += [f"row {s['row']} skipped: {s['reason']}" for s in b.skipped[:5]]
        return "; ".join(parts)

    return table(
        f"ingest {source}",
        ["file", "status", "rows in", "loaded", "quarantined", "skipped", "reasons", "note"],
        [
            [
                Path(b.file).name,
                b.status,
                b.rows_in,
                b.rows_loaded,
                b.rows_quarantined,
                b.rows_skipped,
                ", ".join(f"{k} {v}" for k, v in b.reasons.items()),
                note(b),
            ]
            for b in batches
        ],
    )


def _rescore_touched(batches: list[Any], as_json: bool) -> None:
    """Rescore what committed batches touched; without champions yet, say so and go on."""
    from mlflow.exceptions import MlflowException

    from serving.rescore import rescore_touched

    try:
        summary = rescore_touched(batches, get_settings())
    except MlflowException as exc:
        Console(stderr=True).print(f"not rescored (no champion models yet?): {exc.message}", highlight=False)
        return
    if summary is None or as_json:
        return
    console.print(
        f"rescored {summary.enterprises:,} enterprises as of {summary.as_of} (live), "
        f"{summary.warnings} warnings, {summary.zones} zones, {summary.seconds} s"
    )


@data_app.command("watch")
def data_watch(
    folder: Annotated[Path, typer.Argument(help="Drop folder: one sub-folder per source.")],
    interval: Annotated[float, typer.Option(help="Seconds between looks at the folder.")] = 5.0,
    no_rescore: NoRescoreOption = False,
) -> None:
    """Ingest files dropped into FOLDER/<source>/ as they settle, then rescore what they touch."""
    from serving.watch import Poll, watch

    def report(poll: Poll) -> None:
        for b in poll.batches:
            console.print(f"{b.source}: {b.message}", highlight=False)
        if poll.rescore is not None:
            r = poll.rescore
            console.print(f"rescored {r.enterprises:,} enterprises as of {r.as_of}, {r.seconds} s")

    console.print(f"watching {folder} (Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt):
        watch(folder, get_settings(), not no_rescore, interval, report)


@data_app.command("quality")
def data_quality(
    source: Annotated[str | None, typer.Argument(help="Only this source.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the data-quality report of every batch: completeness, validity, timeliness, load rate."""
    from data.quality import quality_rows

    rows = quality_rows(get_settings().home, source)
    if as_json:
        print_json(rows)
        return
    console.print(quality_table(rows))


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
        print_json(frame.head(limit).to_dict(orient="records"))
        return
    console.print(
        table(
            f"{source}: {len(frame):,} quarantined rows (showing {min(limit, len(frame))})",
            ["file", "row", "reason"],
            [[r.file, r.row_number, r.reason] for r in frame.head(limit).itertuples()],
        )
    )

"""The ``zonecredit`` command: one Typer root, a sub-command group per noun.

Each command is a thin wrapper over a typed library function; summaries print as Rich tables, or as
JSON with ``--json`` for scripts. Domain errors become a one-line message and exit code 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

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
keys_app = typer.Typer(
    help="API keys: create (shown once, stored hashed), list, revoke.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

console = Console()
JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]
NoRescoreOption = Annotated[
    bool, typer.Option("--no-rescore", help="Do not rescore the enterprises the batches touch.")
]


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show library logs (MLflow, Optuna).")
    ] = False,
) -> None:
    """Keep library chatter (MLflow's INFO lines, download bars) out of the summaries unless asked."""
    import logging

    logging.getLogger("mlflow").setLevel(logging.INFO if verbose else logging.ERROR)
    if not verbose:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        # MLflow sets its loggers' level again when it is first imported, which happens later.
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")


def _fail(message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


@contextlib.contextmanager
def _stray_output_to_stderr() -> Iterator[None]:
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
        _fail(f"--format {form!r}: use standard or national")
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
        _fail(f"unknown source {source!r}; known sources: {', '.join(SOURCES)}")
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
        _print_json(report.to_dict())
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

    return _table(
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


profiles_app = typer.Typer(
    help="Ingest profiles: a department's header mappings, sheet and units, kept by name.",
    no_args_is_help=True,
)
data_app.add_typer(profiles_app, name="profiles")


@profiles_app.command("save")
def profiles_save(
    name: Annotated[str, typer.Argument(help="Profile name, e.g. binhai-tax.")],
    source: Annotated[str, typer.Option(help="The source its files feed, e.g. tax.")],
    column: Annotated[list[str] | None, typer.Option(help="HEADER=column (repeatable).")] = None,
    sheet: Annotated[str | None, typer.Option(help="The sheet to read.")] = None,
    unit: Annotated[
        list[str] | None, typer.Option(help="column=UNIT where headers do not say it, e.g. billed=万元.")
    ] = None,
    description: Annotated[str, typer.Option(help="What the profile is for.")] = "",
) -> None:
    """Save (or replace) a profile under ZONECREDIT_HOME/profiles, validated strictly."""
    from pydantic import ValidationError

    from data.profiles import Profile, parse_column_mappings, save_profile

    try:
        profile = Profile(
            name=name,
            source=source,
            columns=parse_column_mappings(column or []),
            sheet=sheet,
            units=parse_column_mappings(unit or []),
            description=description,
        )
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc'])) or name}: {e['msg']}" for e in exc.errors()))
    path = save_profile(get_settings().home, profile)
    console.print(f"saved profile {name!r} for {source} in {path}", highlight=False)


@profiles_app.command("list")
def profiles_list(as_json: JsonOption = False) -> None:
    """List the saved profiles."""
    from data.profiles import list_profiles

    profiles = list_profiles(get_settings().home)
    if as_json:
        _print_json([p.model_dump() for p in profiles])
        return
    console.print(
        _table(
            "ingest profiles",
            ["name", "source", "mapped headers", "sheet", "units", "description"],
            [
                [p.name, p.source, len(p.columns), p.sheet or "", len(p.units), p.description]
                for p in profiles
            ],
        )
    )


@profiles_app.command("show")
def profiles_show(
    name: Annotated[str, typer.Argument(help="Profile name.")], as_json: JsonOption = False
) -> None:
    """Show one profile: its header mappings, sheet and units."""
    from data.profiles import load_profile

    profile = load_profile(get_settings().home, name)
    if as_json:
        _print_json(profile.model_dump())
        return
    rows = [[h, c, ""] for h, c in profile.columns.items()] + [["", c, u] for c, u in profile.units.items()]
    console.print(
        _table(
            f"profile {profile.name} ({profile.source}{', sheet ' + profile.sheet if profile.sheet else ''})",
            ["header", "column", "unit"],
            rows,
        )
    )


def _rescore_touched(batches: list[Any], as_json: bool) -> None:
    """Rescore what committed batches touched; without champions yet, say so and go on."""
    from mlflow.exceptions import MlflowException

    from serving.batch import rescore_touched

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
    """Compute every enterprise's features as of a date and write them to the warehouse.

    The table ``zonecredit score`` reads: every correction decided so far applies (current scores).
    """
    from data.corrections import read_corrections
    from features.engines import ENGINES, build_features
    from features.view import current_corrections

    if engine not in ENGINES:
        _fail(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    settings = get_settings()
    corrections = current_corrections(read_corrections(None, settings.resolved_database_url), as_of)
    status = console.status(f"building features as of {as_of:%Y-%m-%d} ({engine})…", spinner="dots")
    with status, _stray_output_to_stderr():
        path = build_features(
            as_of.date(), settings.home, engine, corrections=corrections, scheduler=settings.dask_scheduler
        )
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
    months: Annotated[int, typer.Option(min=24, help="Months of history.")] = 48,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic world and the models.")] = 7,
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials per model.")] = 8,
    history: Annotated[
        int, typer.Option(min=1, help="Month-ends to score, ending with the latest (score history).")
    ] = 12,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Keep serving afterwards.")] = True,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on.")] = 8000,
) -> None:
    """Run the main job end to end on a synthetic world, then (by default) serve the API and dashboard."""
    from data.quality import quality_rows
    from zonecredit.demo import run_demo, train_and_score

    settings = get_settings()
    result = run_demo(settings.home, enterprises=enterprises, months=months, seed=seed, console=console)
    console.print(_quality_table(quality_rows(settings.home)))
    console.print(
        f"[bold]demo[/]: {result['rows_loaded']:,} rows loaded, {result['rows_quarantined']:,} quarantined "
        f"from {result['files']} files into {settings.home}"
    )
    done = train_and_score(settings.home, trials=trials, seed=seed, history_months=history, console=console)
    console.print(
        _table(
            "models",
            ["model", "version", "champion", "test AUC", "test ECE", "gate"],
            [
                [
                    r.kind,
                    r.version,
                    r.promoted,
                    _cell(r.metrics.get("test_auc")),
                    _cell(r.metrics.get("test_ece")),
                    r.reason,
                ]
                for r in done["models"].values()
            ],
        )
    )
    scores = done["scores"]
    console.print(
        f"[bold]scores[/] as of {scores.as_of}: {scores.enterprises:,} enterprises in {scores.zones} zones, "
        f"repair warnings {scores.repair_warnings or 'none'}, {scores.dormancy_warnings} dormant"
    )
    if not serve:
        return
    from serving.keys import create_key

    url = settings.resolved_database_url
    admin = create_key(url, "admin", ["teda"], "demo administrator of teda")
    analyst = create_key(url, "analyst", None, "demo analyst")
    console.print(f"sign in at http://127.0.0.1:{port}/ — teda administrator key: [bold]{admin}[/]")
    console.print(f"analyst key (all zones): [bold]{analyst}[/]; API docs at http://127.0.0.1:{port}/docs")
    _serve("127.0.0.1", port, workers=1)


@app.command("train")
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
        _fail(f"unknown model {kind!r}; choose one of {', '.join(KINDS)}")
    if engine not in ("inprocess", "dask"):
        _fail(f"unknown engine {engine!r}; choose inprocess or dask")
    home = get_settings().home
    truth = truth or demo_truth(home)
    with console.status(f"training {kind} ({trials} trials)…", spinner="dots"), _stray_output_to_stderr():
        try:
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
        except ValueError as exc:  # too little history, no tax records yet, a bad sample…
            _fail(str(exc))
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
        _print_json(summary)
        return
    console.print(_table(f"{result.model_name} v{result.version}", list(summary), [list(summary.values())]))


@app.command("evaluate")
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
        _fail(f"unknown model {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    frame = evaluate_runs(kinds=tuple(kind) if kind else KINDS)
    frame = frame.groupby(["kind", "role"], sort=False, dropna=False).head(runs)
    if as_json:
        _print_json(json.loads(frame.to_json(orient="records", date_format="iso")))
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
                *(_cell(run[k]) for k in ("test_auc", "test_ks", "test_ece", "test_brier")),
                f"{run['start_time']:%m-%d %H:%M}",
            ]
        )
    console.print(
        _table(
            "model runs and baselines (out-of-time test period)",
            ["run (★ champion)", "AUC", "KS", "ECE", "Brier", "started"],
            rows,
        )
    )


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if value != value else f"{value:.4f}"
    return value


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin (scoped to zones), analyst, scorer or steward.")],
    zone: Annotated[
        list[str] | None, typer.Option(help="Zone an admin key may see; repeat for several.")
    ] = None,
    name: Annotated[str, typer.Option(help="Who holds the key (shown in lists and the audit log).")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create an API key and print it once: only its hash is stored."""
    from serving.keys import create_key
    from serving.store import upgrade_database

    url = get_settings().resolved_database_url
    upgrade_database(url)
    key = create_key(url, role, zone, name)
    if as_json:
        _print_json({"key": key, "key_id": key.split("_")[1], "role": role, "zones": zone or None})
        return
    console.print(f"[bold]{key}[/]", highlight=False, soft_wrap=True)
    Console(stderr=True).print("Store this key now: it cannot be shown again.")


@keys_app.command("list")
def keys_list(as_json: JsonOption = False) -> None:
    """List the keys (never their secrets): id, holder, role, zones, created, revoked."""
    from serving.keys import list_keys
    from serving.store import upgrade_database

    url = get_settings().resolved_database_url
    upgrade_database(url)
    keys = list_keys(url)
    if as_json:
        _print_json([k.__dict__ for k in keys])
        return
    console.print(
        _table(
            "API keys",
            ["key id", "name", "role", "zones", "created", "revoked"],
            [
                [
                    k.key_id,
                    k.name,
                    k.role,
                    ", ".join(k.zones) if k.zones else "all",
                    k.created_at,
                    k.revoked_at,
                ]
                for k in keys
            ],
        )
    )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key id (second part of the key).")]) -> None:
    """Revoke a key at once (the API re-reads keys within ZONECREDIT_KEY_CACHE_SECONDS)."""
    from serving.keys import revoke_key

    revoke_key(get_settings().resolved_database_url, key_id)
    console.print(f"revoked {key_id}")


@app.command("score")
def score(
    as_of: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Score as known on this date.")],
    as_json: JsonOption = False,
) -> None:
    """Score every active enterprise with the three champions and write the operational store."""
    from serving.batch import score_all
    from zonecredit.monitoring import monitor_stored_scores

    with console.status(f"scoring as of {as_of:%Y-%m-%d}…", spinner="dots"):
        summary = score_all(as_of.date(), get_settings())
        monitor_stored_scores(get_settings(), as_of.date(), summary.model_versions["credit"])
    if as_json:
        _print_json(summary.to_dict())
        return
    console.print(
        _table(
            f"scores as of {summary.as_of}",
            ["enterprises", "models", "repair warnings", "dormancy warnings", "zones", "seconds"],
            [
                [
                    f"{summary.enterprises:,}",
                    ", ".join(f"{k} v{v}" for k, v in summary.model_versions.items()),
                    ", ".join(f"{k} {v}" for k, v in summary.repair_warnings.items()) or "none",
                    summary.dormancy_warnings,
                    summary.zones,
                    summary.seconds,
                ]
            ],
        )
    )


@app.command("validate")
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

    with console.status(f"validating {kind}…", spinner="dots"), _stray_output_to_stderr():
        try:
            report = validate_champion(get_settings().home, kind, as_of.date() if as_of else None, every)
        except (ValueError, LookupError) as exc:
            _fail(str(exc))
    if as_json:
        _print_json(report)
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
    console.print(_table(title, ["test", "n", "value", "realised / std", "p", "light"], rows))


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs); migrates the operational store first."""
    _serve(host, port, workers)


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    from serving.store import upgrade_database

    upgrade_database(get_settings().resolved_database_url)
    uvicorn.run(
        "serving.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app writes its own JSON access log
        log_level="warning",
    )


def main() -> None:
    """Entry point that turns domain errors into a message instead of a traceback."""
    from data.errors import ZonecreditError

    try:
        app()
    except ZonecreditError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()

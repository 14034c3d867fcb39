"""`zonecredit features`: build a point-in-time feature table, describe the registry."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from zonecredit.commands.common import (
    JsonOption,
    console,
    fail,
    print_json,
    stray_output_to_stderr,
    table,
)
from zonecredit.settings import get_settings

features_app = typer.Typer(
    help="Point-in-time features: build a feature table, describe the registry.", no_args_is_help=True
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
        fail(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    settings = get_settings()
    corrections = current_corrections(read_corrections(None, settings.resolved_database_url), as_of)
    status = console.status(f"building features as of {as_of:%Y-%m-%d} ({engine})…", spinner="dots")
    with status, stray_output_to_stderr():
        path = build_features(
            as_of.date(), settings.home, engine, corrections=corrections, scheduler=settings.dask_scheduler
        )
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    summary = {"path": str(path), "enterprises": meta.num_rows, "columns": meta.num_columns}
    if as_json:
        print_json(summary)
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
        fail(f"unknown feature set {feature_set!r}; choose one of {', '.join(FEATURE_SETS)}")
    frame = describe_features(feature_set)
    if as_json:
        rows = json.loads(frame.to_json(orient="records", force_ascii=False))  # NaN → null
        print_json({"feature_set_version": frame.attrs["feature_set_version"], "features": rows})
        return
    console.print(
        table(
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

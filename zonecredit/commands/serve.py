"""`zonecredit serve` and `zonecredit demo`: the HTTP service, and the main job end to end before it."""

from __future__ import annotations

from typing import Annotated

import typer

from zonecredit.commands.common import (
    cell,
    console,
    quality_table,
    table,
)
from zonecredit.settings import get_settings


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
    console.print(quality_table(quality_rows(settings.home)))
    console.print(
        f"[bold]demo[/]: {result['rows_loaded']:,} rows loaded, {result['rows_quarantined']:,} quarantined "
        f"from {result['files']} files into {settings.home}"
    )
    done = train_and_score(settings.home, trials=trials, seed=seed, history_months=history, console=console)
    console.print(
        table(
            "models",
            ["model", "version", "champion", "test AUC", "test ECE", "gate"],
            [
                [
                    r.kind,
                    r.version,
                    r.promoted,
                    cell(r.metrics.get("test_auc")),
                    cell(r.metrics.get("test_ece")),
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
    run_server("127.0.0.1", port, workers=1)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs); migrates the operational store first."""
    run_server(host, port, workers)


def run_server(host: str, port: int, workers: int) -> None:
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

"""`zonecredit score`: batch-score every enterprise into the operational store."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from zonecredit.commands.common import (
    JsonOption,
    console,
    print_json,
    table,
)
from zonecredit.settings import get_settings


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
        print_json(summary.to_dict())
        return
    console.print(
        table(
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

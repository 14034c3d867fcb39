"""The ``zonecredit`` command: one Typer root, a sub-command group per noun.

Each command (in ``zonecredit.commands``) is a thin wrapper over a typed library function;
summaries print as Rich tables, or as JSON with ``--json`` for scripts. Domain errors
(``data.errors.ZonecreditError``) become a one-line message and the exit code ``EXIT_CODES``
gives them, in ``_Root`` for every command.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from data.errors import RejectedFile, ZonecreditError
from zonecredit.commands import models, scoring, serve
from zonecredit.commands.data import data_app
from zonecredit.commands.features import features_app
from zonecredit.commands.keys import keys_app

# Exit codes by error class, most specific first (README, "Errors"): 1 when data were refused,
# 2 for anything else the user can fix. Usage errors caught by Typer exit 2 as well.
EXIT_CODES: tuple[tuple[type[ZonecreditError], int], ...] = ((RejectedFile, 1), (ZonecreditError, 2))


def exit_code(error: ZonecreditError) -> int:
    """The exit code of a domain error: the first entry of ``EXIT_CODES`` it is an instance of."""
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


class _Root(TyperGroup):
    """The root group: a domain error from any command becomes one line and its exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer.Context; typer types it with its own copy of click
        try:
            return super().invoke(ctx)
        except ZonecreditError as exc:
            Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(exit_code(exc)) from None


app = typer.Typer(
    cls=_Root,
    help="Credit scoring and early warning for development-zone enterprises.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")
app.add_typer(features_app, name="features")
app.add_typer(keys_app, name="keys")
app.command("demo")(serve.demo)
app.command("train")(models.train)
app.command("evaluate")(models.evaluate)
app.command("score")(scoring.score)
app.command("validate")(models.validate)
app.command("serve")(serve.serve)


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


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

"""`zonecredit data profiles`: a department's header mappings, sheet and units, kept by name."""

from __future__ import annotations

from typing import Annotated

import typer

from zonecredit.commands.common import (
    JsonOption,
    console,
    fail,
    print_json,
    table,
)
from zonecredit.settings import get_settings

profiles_app = typer.Typer(
    help="Ingest profiles: a department's header mappings, sheet and units, kept by name.",
    no_args_is_help=True,
)


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
        fail("; ".join(f"{'.'.join(map(str, e['loc'])) or name}: {e['msg']}" for e in exc.errors()))
    path = save_profile(get_settings().home, profile)
    console.print(f"saved profile {name!r} for {source} in {path}", highlight=False)


@profiles_app.command("list")
def profiles_list(as_json: JsonOption = False) -> None:
    """List the saved profiles."""
    from data.profiles import list_profiles

    profiles = list_profiles(get_settings().home)
    if as_json:
        print_json([p.model_dump() for p in profiles])
        return
    console.print(
        table(
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
        print_json(profile.model_dump())
        return
    rows = [[h, c, ""] for h, c in profile.columns.items()] + [["", c, u] for c, u in profile.units.items()]
    console.print(
        table(
            f"profile {profile.name} ({profile.source}{', sheet ' + profile.sheet if profile.sheet else ''})",
            ["header", "column", "unit"],
            rows,
        )
    )

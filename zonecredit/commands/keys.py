"""`zonecredit keys`: API keys created (shown once, stored hashed), listed and revoked."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from zonecredit.commands.common import (
    JsonOption,
    console,
    print_json,
    table,
)
from zonecredit.settings import get_settings

keys_app = typer.Typer(
    help="API keys: create (shown once, stored hashed), list, revoke.", no_args_is_help=True
)


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
        print_json({"key": key, "key_id": key.split("_")[1], "role": role, "zones": zone or None})
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
        print_json([k.__dict__ for k in keys])
        return
    console.print(
        table(
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

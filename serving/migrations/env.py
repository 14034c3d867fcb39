"""Alembic environment: the URL comes from the config (``upgrade_database``) or from the settings."""

from __future__ import annotations

from alembic import context

from data.corrections import metadata as corrections_metadata
from serving.store import engine_for, metadata

config = context.config
target_metadata = [metadata, corrections_metadata]


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from zonecredit.settings import get_settings

    return get_settings().resolved_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with engine_for(_url()).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

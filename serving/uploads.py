"""Department exports sent over HTTP: onto disk in blocks, ingested, and reported without personal data.

``POST /v1/batches`` and the dashboard's upload page share these steps. A file is written block
by block under ``ZONECREDIT_HOME/uploads`` (never whole in memory) with its own name, whose
extension tells the readers what it is, then ingested like ``zonecredit data ingest``. The
summary a steward sees masks personal data (a legal representative's ID) in the dry run's rows.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from data.contracts import SOURCES
from data.ingest import BatchSummary, IngestReport
from data.profiles import Profile, ProfileError, load_profile, parse_column_mappings
from serving.errors import ApiError
from serving.keys import Principal
from serving.queries import mask_personal_id
from zonecredit.settings import Settings

BLOCK_BYTES = 1 << 20
ABANDONED_AFTER_SECONDS = 86_400  # a dashboard upload never committed is dropped after a day
PERSONAL_COLUMNS = ("legal_rep_id",)
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def uploads_dir(home: Path) -> Path:
    return Path(home) / "uploads"


def safe_name(filename: str | None) -> str:
    """Return a file name safe to store (no folders, no odd characters), keeping its extension."""
    name = _UNSAFE.sub("_", Path(filename or "").name).strip("._")
    if not name:
        raise ApiError(422, "file: the upload has no file name (its extension says what it is)")
    return name[-120:]


def new_upload_dir(home: Path) -> Path:
    """Return a fresh private folder for one upload, dropping uploads abandoned a day ago or more."""
    root = uploads_dir(home)
    stale = time.time() - ABANDONED_AFTER_SECONDS
    for old in root.glob("*") if root.exists() else ():
        if old.is_dir() and old.stat().st_mtime < stale:
            shutil.rmtree(old, ignore_errors=True)
    folder = root / secrets.token_hex(8)
    folder.mkdir(parents=True)
    return folder


def store_upload(stream: BinaryIO, folder: Path, filename: str | None) -> Path:
    """Copy an uploaded file into ``folder`` block by block; return where it is."""
    target = folder / safe_name(filename)
    with target.open("wb") as out:
        shutil.copyfileobj(stream, out, BLOCK_BYTES)
    return target


def checked_source(source: str | None) -> str:
    if not source or source not in SOURCES:
        raise ApiError(422, f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    return source


def profile_named(home: Path, name: str | None) -> Profile | None:
    """Return the saved profile ``name`` (None for none), or refuse with 422 saying why."""
    try:
        return load_profile(home, name) if name else None
    except ProfileError as exc:
        raise ApiError(422, str(exc)) from None


def mappings_and_profile(
    home: Path, columns: list[str], profile: str | None
) -> tuple[dict[str, str], Profile | None]:
    """Return hand mappings (``HEADER=column``) and the named profile, or refuse with 422 saying why."""
    try:
        mapping = parse_column_mappings([c for c in columns if c.strip()])
    except ProfileError as exc:
        raise ApiError(422, str(exc)) from None
    return mapping, profile_named(home, profile)


def ingest_upload(
    settings: Settings,
    source: str,
    path: Path,
    *,
    columns: dict[str, str],
    profile: Profile | None,
    sheet: str | None,
    dry_run: bool,
    received_on: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Ingest (or dry-run) one stored upload with the server's warehouse settings."""
    from data.ingest import ingest_file

    return ingest_file(
        source,
        path,
        settings.home,
        received_on,
        settings.warehouse_buckets,
        settings.ingest_chunk_rows,
        columns=columns,
        sheet=sheet,
        profile=profile,
        dry_run=dry_run,
        progress=progress,
    )


def public_report(summary: BatchSummary, principal: Principal) -> dict[str, Any]:
    """Return the ``ingest --json`` report of one batch, personal data masked for ``principal``.

    The file is named as uploaded, not by where the server keeps it.
    """
    report = IngestReport([summary]).to_dict()
    batch = report["batches"][0]
    batch["file"] = Path(summary.file).name
    personal_headers = {h for h, c in summary.columns.items() if c in PERSONAL_COLUMNS}
    for row in batch["preview"]:
        for column in PERSONAL_COLUMNS:
            if row.get(column) is not None:
                row[column] = mask_personal_id(row[column], principal)
    for row in batch["quarantine_sample"]:
        raw = json.loads(row["raw"])
        for header in personal_headers & set(raw):
            raw[header] = mask_personal_id(raw[header], principal) if isinstance(raw[header], str) else None
        row["raw"] = json.dumps(raw, ensure_ascii=False)
    return report


def rescore_upload(state: Any, summary: BatchSummary) -> dict[str, Any] | None:
    """Rescore the enterprises a committed upload touches, with the champions the server holds
    (``serving.rescore.rescore_touched``, as ``data ingest`` does); None when nothing was rescored:
    the batch was not loaded, no champions are loaded yet, or no month-end scores exist yet."""
    from serving.rescore import rescore_touched

    champions = state.champions.current
    if summary.status != "loaded" or champions is None:
        return None
    rescored = rescore_touched([summary], state.settings, champions)
    return None if rescored is None else rescored.to_dict()

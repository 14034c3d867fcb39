"""``zonecredit data watch DIR``: ingest files dropped into a folder, then rescore what they touch.

The folder holds one sub-folder per source (``DIR/tax/…``, ``DIR/credit_events/…``). A file is
taken once it has not changed for ``settle_seconds`` (a copy still being written is left for the
next poll), ingested as its own batch exactly as ``zonecredit data ingest`` would, and moved to
``DIR/<source>/.done/`` or, when the whole file is refused, ``.rejected/`` beside a ``.reason.txt``.
The batches committed in one poll are rescored together (``serving.rescore.rescore_touched``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from data.contracts import SOURCES
from data.ingest import BatchSummary, ingest_file
from serving.rescore import RescoreSummary, rescore_touched
from zonecredit.settings import Settings


@dataclass
class Poll:
    """What one look at the folder did."""

    batches: list[BatchSummary]
    rescore: RescoreSummary | None


def ready_files(folder: Path, settle_seconds: float, now: float | None = None) -> list[tuple[str, Path]]:
    """Return (source, file) for every settled file in the source sub-folders, oldest first."""
    now = time.time() if now is None else now
    found = [
        (path.stat().st_mtime, source, path)
        for source in SOURCES
        if (folder / source).is_dir()
        for path in (folder / source).iterdir()
        if path.is_file() and not path.name.startswith(".")
    ]
    return [(source, path) for mtime, source, path in sorted(found) if now - mtime >= settle_seconds]


def poll_once(folder: Path, settings: Settings, rescore: bool = True, settle_seconds: float = 2.0) -> Poll:
    """Ingest every settled file once, move it aside, and rescore the enterprises they touch."""
    batches = []
    for source, path in ready_files(folder, settle_seconds):
        summary = ingest_file(
            source, path, settings.home, None, settings.warehouse_buckets, settings.ingest_chunk_rows
        )
        target = path.parent / (".rejected" if summary.status == "rejected" else ".done")
        target.mkdir(exist_ok=True)
        path.replace(target / path.name)
        if summary.status == "rejected":
            (target / f"{path.name}.reason.txt").write_text(summary.message + "\n")
        batches.append(summary)
    return Poll(batches, rescore_touched(batches, settings) if rescore else None)


def watch(
    folder: Path,
    settings: Settings,
    rescore: bool = True,
    interval_seconds: float = 5.0,
    on_poll: Callable[[Poll], None] | None = None,
) -> None:
    """Poll ``folder`` every ``interval_seconds`` until interrupted."""
    for source in SOURCES:
        (folder / source).mkdir(parents=True, exist_ok=True)
    while True:
        result = poll_once(folder, settings, rescore)
        if on_poll is not None and result.batches:
            on_poll(result)
        time.sleep(interval_seconds)

"""Validation and monitoring reports on disk, ``HOME/validation/{kind}-{what}-{as_of}.json``.

Training writes them and the dashboard reads them; neither may import the other, so the layout of
the folder lives here, below both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPORTS_DIR = "validation"


def save_report(home: Path, kind: str, what: str, as_of: str, report: dict[str, Any]) -> None:
    """Write ``report`` (already JSON-safe) as the ``what`` report of ``kind`` on ``as_of``."""
    folder = Path(home) / REPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{kind}-{what}-{as_of}.json").write_text(
        json.dumps(report, ensure_ascii=False), encoding="utf-8"
    )


def latest_report(home: Path, kind: str, what: str) -> dict[str, Any] | None:
    """Return the newest ``what`` report of ``kind`` (ISO dates sort as text), or None."""
    files = sorted((Path(home) / REPORTS_DIR).glob(f"{kind}-{what}-*.json"))
    return json.loads(files[-1].read_text(encoding="utf-8")) if files else None

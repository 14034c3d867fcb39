"""Pieces the services share: reading feature figures, hashing exports, ingesting records they write."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from data.errors import ZonecreditError
from serving.champions import Champions
from zonecredit.settings import Settings

# Statuses of a negative record that still counts and awaits repair (the warnings page reads them too).
UNREPAIRED_STATUSES = ("repairable", "waiting", "listed", "in_force")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def feature_figures(home: Path, as_of: date, columns: list[str], credit_codes: list[str]) -> pd.DataFrame:
    """Return ``columns`` of the feature table of ``as_of`` for ``credit_codes`` (indexed by credit code).

    Columns the table lacks come back empty, so a policy naming a figure that a feature set no
    longer has shows a blank rather than failing the list.
    """
    import pyarrow.parquet as pq

    from features.engines import feature_path

    path = feature_path(home, as_of) / "features.parquet"
    if not path.exists() or not credit_codes:
        return pd.DataFrame(index=pd.Index(credit_codes, name="credit_code"), columns=columns)
    present = [c for c in columns if c in pq.read_schema(path).names]
    table = pd.read_parquet(path, columns=["credit_code", *present])
    table = table[table["credit_code"].isin(credit_codes)].set_index("credit_code")
    return table.reindex(index=credit_codes, columns=columns)


def ingest_credit_records(
    rows: list[dict[str, Any]], settings: Settings, name: str, champions: Champions | None
) -> str:
    """Load ``rows`` as a ``credit_events`` batch through the ordinary ingest; return the batch id.

    The file is kept under ``home/inbox/services`` as the batch's source, like any department export,
    so the records count in features exactly as ingested ones do. The enterprises it touches are
    rescored on arrival (``serving.rescore.rescore_touched``) with the server's ``champions``, as an
    upload's are, so a breach lowers the class at once; without champions nothing is rescored.
    """
    from data.contracts import get_source
    from data.ingest import ingest_file
    from data.warehouse import bucket_count
    from serving.rescore import rescore_touched

    home = settings.home

    columns = get_source("credit_events").column_names
    inbox = home / "inbox" / "services"
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / f"{name}-{datetime.now():%Y%m%dT%H%M%S%f}.csv"
    pd.DataFrame(rows).reindex(columns=columns).to_csv(path, index=False)
    summary = ingest_file("credit_events", path, home, buckets=bucket_count(home))
    if summary.status != "loaded" or summary.rows_quarantined:
        raise ZonecreditError(f"credit records of {name} did not load: {summary.message} {summary.reasons}")
    if champions is not None:
        rescore_touched([summary], settings, champions)
    return summary.batch_id

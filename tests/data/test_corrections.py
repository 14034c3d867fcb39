"""Corrections are append-only, well formed, and known only from the day they are decided."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.corrections import Correction, CorrectionError, add_correction, engine_for, read_corrections

CODE = "91120116MA05T3K726"


def _repair(decided_on: date) -> Correction:
    return Correction(
        source="credit_events",
        credit_code=CODE,
        record_key={"event_id": "E-2024-001"},
        action="repair",
        decided_on=decided_on,
        decided_by="admin:teda",
        reason="penalty paid, repair approved",
    )


def check_corrections_on(url: str) -> None:
    """The behaviour every operational database must show (SQLite here, PostgreSQL in integration)."""
    first = add_correction(url, _repair(date(2025, 1, 5)))
    amend = Correction(
        "tax",
        CODE,
        {"period": "2024-03"},
        "amend",
        date(2025, 2, 1),
        "admin:teda",
        "wrong sales figure",
        new_values={"vat_sales": 1200.0},
    )
    second = add_correction(url, amend)
    assert second > first

    assert read_corrections(date(2025, 1, 4), url).empty
    known = read_corrections(date(2025, 1, 5), url)
    assert known["correction_id"].tolist() == [first]
    assert known.loc[0, "record_key"] == '{"event_id": "E-2024-001"}'
    everything = read_corrections(None, url)
    assert everything["action"].tolist() == ["repair", "amend"]
    assert everything.loc[1, "new_values"] == '{"vat_sales": 1200.0}'
    assert str(everything["decided_on"].dtype) == "datetime64[s]"

    engine = engine_for(url)
    for statement in ("UPDATE corrections SET reason = 'x'", "DELETE FROM corrections"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
            connection.exec_driver_sql(statement)
    assert len(read_corrections(None, url)) == 2


def test_corrections_on_sqlite(tmp_path: Path) -> None:
    check_corrections_on(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.mark.parametrize(
    ("correction", "message"),
    [
        (
            Correction("tax", CODE, {"event_id": "x"}, "revoke", date(2025, 1, 1), "a", "b"),
            "must name period",
        ),
        (
            Correction("tax", CODE, {"period": "2024-01"}, "repair", date(2025, 1, 1), "a", "b"),
            "only credit_events",
        ),
        (
            Correction("tax", CODE, {"period": "2024-01"}, "amend", date(2025, 1, 1), "a", "b"),
            "needs new_values",
        ),
        (
            Correction(
                "tax", CODE, {"period": "2024-01"}, "amend", date(2025, 1, 1), "a", "b", {"period": "x"}
            ),
            "period not allowed",
        ),
        (Correction("wages", CODE, {}, "revoke", date(2025, 1, 1), "a", "b"), "unknown source 'wages'"),
        (
            Correction("tax", CODE[:-1] + "X", {"period": "2024-01"}, "revoke", date(2025, 1, 1), "a", "b"),
            "position 18",
        ),
        (
            Correction("tax", CODE, {"period": "2024-01"}, "revoke", date(2025, 1, 1), "a", " "),
            "needs a reason",
        ),
    ],
)
def test_malformed_corrections_are_refused(correction: Correction, message: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with pytest.raises(CorrectionError, match=message):
        add_correction(url, correction)
    assert read_corrections(None, url).empty

"""alert_rows: each of the three causes against the stored state, and none without a change."""

from __future__ import annotations

from datetime import date, datetime

from serving.alerts import alert_rows

NOW = datetime(2026, 12, 1, 9, 0)


def _row(code: str, klass: str, activity: float, serious: float) -> dict:
    return {
        "credit_code": code,
        "zone": "teda",
        "name": f"enterprise {code}",
        "as_of": date(2026, 11, 28),
        "supervision_class": klass,
        "activity_score": activity,
        "serious_records": serious,
    }


def test_each_cause_raises_its_alert_and_an_unchanged_enterprise_none():
    before = {
        "1": {"supervision_class": "A", "activity_score": 80.0, "serious_records": 0.0},
        "2": {"supervision_class": "B", "activity_score": 35.0, "serious_records": 1.0},
        "3": {"supervision_class": "B", "activity_score": 50.0, "serious_records": 0.0},
    }
    after = [_row("1", "C", 80.0, 0.0), _row("2", "C", 20.0, 1.0), _row("3", "B", 50.0, 0.0)]
    rows = alert_rows(before, after, floor=30.0, trigger="batch", now=NOW)
    assert [(r["credit_code"], r["kind"], r["cause_en"]) for r in rows] == [
        ("1", "class_drop", "supervision class fell A → C"),
        ("2", "dormancy", "activity below the dormancy floor 30: 35.0 → 20.0"),
    ]
    assert {r["trigger"] for r in rows} == {"batch"} and rows[0]["cause_zh"] == "监管类别下降：A → C"


def test_a_first_seen_enterprise_raises_only_a_serious_record():
    rows = alert_rows({}, [_row("9", "D", 10.0, 2.0)], floor=30.0, trigger="batch", now=NOW)
    assert [r["kind"] for r in rows] == ["serious_record"]

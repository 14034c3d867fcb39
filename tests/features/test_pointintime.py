"""Point-in-time reads: restatements, late reports and corrections as known on the as-of date."""

import pandas as pd

from data.contracts import SOURCES
from features.compute import compute_features
from features.pointintime import apply_corrections, known_records
from tests import factories as f

AS_OF = pd.Timestamp("2025-06-01")


def _restated_tax() -> pd.DataFrame:
    original = f.tax(f.HEALTHY, "2025-03-01", 1, vat_sales=100.0)
    restated = f.tax(f.HEALTHY, "2025-03-01", 1, vat_sales=200.0, reported_on="2025-05-20")
    later = f.tax(f.HEALTHY, "2025-03-01", 1, vat_sales=300.0, reported_on="2025-07-01")
    return pd.concat([original, restated, later], ignore_index=True)


def test_latest_version_known_at_as_of_wins():
    known = known_records(_restated_tax(), SOURCES["tax"], AS_OF, f.corrections([]))
    assert known["vat_sales"].tolist() == [200.0]


def test_same_day_restatement_resolved_by_load_time():
    first = f.tax(f.HEALTHY, "2025-03-01", 1, vat_sales=1.0, reported_on="2025-04-15")
    second = f.tax(f.HEALTHY, "2025-03-01", 1, vat_sales=2.0, reported_on="2025-04-15")
    second["loaded_at"] = f.LOADED_AT + pd.Timedelta(hours=1)
    known = known_records(pd.concat([second, first]), SOURCES["tax"], AS_OF, None)
    assert known["vat_sales"].tolist() == [2.0]


def test_restatement_in_dense_features_follows_the_same_rule():
    records = f.combine({"registry": f.registry(f.HEALTHY), "tax": _restated_tax()})
    features = compute_features(records, AS_OF)
    assert features.loc[0, "tax_vat_sales_sum_12m"] == 200.0


def test_record_reported_after_as_of_is_unknown():
    records = f.combine(
        {
            "registry": f.registry(f.HEALTHY),
            "tax": f.tax(f.HEALTHY, "2025-04-01", 1, reported_on="2025-06-02"),
        }
    )
    assert compute_features(records, AS_OF).loc[0, "tax_months_reported_12m"] == 0


def test_revoke_amend_and_repair_apply_from_their_decision():
    events = f.loaded(
        "credit_events",
        [
            f.credit_event(f.STRUGGLING, "P1", "admin_penalty", "general", "2025-01-10"),
            f.credit_event(f.STRUGGLING, "P2", "admin_penalty", "general", "2025-02-10"),
            f.credit_event(f.STRUGGLING, "P3", "admin_penalty", "general", "2025-03-10"),
        ],
    )
    corrections = f.corrections(
        [
            f.correction(
                "credit_events", f.STRUGGLING, {"event_id": "P1"}, "revoke", "2025-05-01", None, "C1"
            ),
            f.correction(
                "credit_events",
                f.STRUGGLING,
                {"event_id": "P2"},
                "amend",
                "2025-05-02",
                {"severity": "serious"},
                "C2",
            ),
            f.correction(
                "credit_events", f.STRUGGLING, {"event_id": "P3"}, "repair", "2025-05-03", None, "C3"
            ),
        ]
    )
    known = known_records(events, SOURCES["credit_events"], AS_OF, corrections).set_index("event_id")
    assert list(known.index) == ["P2", "P3"]
    assert known.loc["P2", "severity"] == "serious"
    assert known.loc["P3", "repaired_on"] == pd.Timestamp("2025-05-03")
    before = known_records(events, SOURCES["credit_events"], pd.Timestamp("2025-04-30"), corrections)
    assert len(before) == 3 and before["repaired_on"].isna().all()


def test_amend_of_a_monthly_record_matches_its_period_key():
    tax = f.tax(f.HEALTHY, "2024-01-01", 3)
    corrections = f.corrections(
        [
            f.correction(
                "tax", f.HEALTHY, {"period": "2024-02"}, "amend", "2024-06-01", {"arrears_balance": 500.0}
            ),
        ]
    )
    amended = apply_corrections(tax, SOURCES["tax"], corrections)
    assert amended["arrears_balance"].tolist() == [0.0, 500.0, 0.0]


def test_quarter_key_and_year_key_match():
    stats = f.statistics(f.HEALTHY, "2024-01-01", 2)
    grades = f.tax_grades(f.HEALTHY, {2023: "B"})
    corrections = f.corrections(
        [
            f.correction("statistics", f.HEALTHY, {"period": "2024Q2"}, "revoke", "2024-09-01"),
            f.correction("tax_grade", f.HEALTHY, {"year": 2023}, "amend", "2024-09-01", {"grade": "A"}),
        ]
    )
    assert len(apply_corrections(stats, SOURCES["statistics"], corrections)) == 1
    assert apply_corrections(grades, SOURCES["tax_grade"], corrections)["grade"].tolist() == ["A"]


def test_repair_dated_after_as_of_counts_as_unrepaired():
    events = f.loaded(
        "credit_events",
        [
            f.credit_event(
                f.STRUGGLING,
                "P1",
                "admin_penalty",
                "general",
                "2025-01-10",
                repaired_on="2025-09-01",
                reported_on="2025-02-01",
            ),
        ],
    )
    records = f.combine({"registry": f.registry(f.STRUGGLING), "credit_events": events})
    assert compute_features(records, AS_OF).loc[0, "ce_active_unrepaired_total"] == 1
    later = compute_features(records, "2025-10-01")
    assert later.loc[0, "ce_active_unrepaired_total"] == 0
    assert later.loc[0, "ce_repaired_count_36m"] == 1

"""Labels of SPEC §4 from records after the as-of date."""

import pandas as pd

from features.labels import compute_labels, label_window
from tests import factories as f

AS_OF = pd.Timestamp("2025-06-01")


def _labels(records, label, corrections=None) -> dict[str, int]:
    frame = compute_labels(records, AS_OF, label, corrections)
    return dict(zip(frame["credit_code"], frame.iloc[:, 1], strict=True))


def test_label_window_starts_after_as_of():
    start, end = label_window(AS_OF, "credit")
    assert start > AS_OF and end == pd.Timestamp("2026-06-01")
    assert label_window(AS_OF, "activity")[1] == pd.Timestamp("2025-09-01")


def test_default_population_and_events_after_as_of():
    labels = _labels(f.world(), "credit")
    assert f.NEWCOMER not in labels  # younger than 6 months
    assert labels == {f.HEALTHY: 0, f.STRUGGLING: 1}  # judgment defaulter in August 2025


def test_event_before_as_of_is_not_a_default():
    events = f.loaded(
        "credit_events",
        [
            f.credit_event(
                f.HEALTHY, "X1", "serious_dishonesty", "serious", "2025-05-20", reported_on="2025-06-10"
            ),
        ],
    )
    records = f.combine({"registry": f.registry(f.HEALTHY), "credit_events": events})
    assert _labels(records, "credit") == {f.HEALTHY: 0}


def test_each_kind_of_default():
    registry = f.registry(f.HEALTHY)
    cases = {
        "tax grade D published April 2026": {"tax_grade": f.tax_grades(f.HEALTHY, {2025: "D"})},
        "social-security arrears of 3 months": {
            "social_security": f.social_security(f.HEALTHY, "2025-08-01", 1, arrears_months=3)
        },
        "utility arrears 3 months running": {
            "utility": f.utility(f.HEALTHY, "2025-05-01", 3, arrears_balance=10.0)
        },
        "general penalty": {
            "credit_events": f.loaded(
                "credit_events", [f.credit_event(f.HEALTHY, "P", "admin_penalty", "general", "2026-01-05")]
            )
        },
    }
    for name, part in cases.items():
        assert _labels(f.combine({"registry": registry}, part), "credit") == {f.HEALTHY: 1}, name
    minor = {
        "credit_events": f.loaded(
            "credit_events", [f.credit_event(f.HEALTHY, "P", "admin_penalty", "minor", "2026-01-05")]
        )
    }
    assert _labels(f.combine({"registry": registry}, minor), "credit") == {f.HEALTHY: 0}


def test_revoked_record_is_no_default():
    corrections = f.corrections(
        [f.correction("credit_events", f.STRUGGLING, {"event_id": "S4"}, "revoke", "2025-12-01")]
    )
    records = f.combine({"registry": f.registry(f.STRUGGLING)}, {"credit_events": f.world()["credit_events"]})
    assert _labels(records, "credit", corrections) == {f.STRUGGLING: 0}


def _penalty(**dates) -> dict[str, pd.DataFrame]:
    return {
        "credit_events": f.loaded(
            "credit_events",
            [f.credit_event(f.STRUGGLING, "P", "admin_penalty", "serious", "2025-01-10", **dates)],
        )
    }


def test_unrepaired_population_and_outcomes():
    registry = {"registry": f.registry(f.STRUGGLING)}
    assert _labels(f.combine(registry, _penalty()), "repair") == {f.STRUGGLING: 1}
    repaired = _penalty(repaired_on="2026-02-01", reported_on="2025-01-10")
    assert _labels(f.combine(registry, repaired), "repair") == {f.STRUGGLING: 0}
    repaired_late = _penalty(repaired_on="2026-07-01", reported_on="2025-01-10")
    assert _labels(f.combine(registry, repaired_late), "repair") == {f.STRUGGLING: 1}
    minor = {
        "credit_events": f.loaded(
            "credit_events", [f.credit_event(f.STRUGGLING, "P", "admin_penalty", "minor", "2025-05-10")]
        )
    }
    assert _labels(f.combine(registry, minor), "repair") == {}


def test_deregistered_while_unrepaired_counts_as_unrepaired():
    closing = f.registry(f.STRUGGLING, changes=[("2025-10-01", "deregistered")])
    removed_after = _penalty(removed_on="2025-11-01", reported_on="2025-01-10")
    assert _labels(f.combine({"registry": closing}, removed_after), "repair") == {f.STRUGGLING: 1}


def test_repair_correction_counts():
    corrections = f.corrections(
        [f.correction("credit_events", f.STRUGGLING, {"event_id": "P"}, "repair", "2026-01-15")]
    )
    records = f.combine({"registry": f.registry(f.STRUGGLING)}, _penalty())
    assert _labels(records, "repair", corrections) == {f.STRUGGLING: 0}


def test_active_next_quarter():
    labels = _labels(f.world(), "activity")
    assert labels == {f.HEALTHY: 1, f.STRUGGLING: 1, f.NEWCOMER: 0}
    closing = f.registry(f.HEALTHY, changes=[("2025-07-15", "revoked")])
    records = f.combine({"registry": closing, "tax": f.tax(f.HEALTHY, "2025-06-01", 3)})
    assert _labels(records, "activity") == {f.HEALTHY: 0}
    idle = f.combine(
        {
            "registry": f.registry(f.HEALTHY),
            "utility": f.utility(f.HEALTHY, "2025-06-01", 3, electricity_kwh=100.0),
        }
    )
    assert _labels(idle, "activity") == {f.HEALTHY: 0}

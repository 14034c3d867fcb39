"""The one point-in-time view of an enterprise: registration, records with corrections, the two rules."""

from datetime import date

import pandas as pd

from features.compute import compute_features
from features.labels import compute_labels
from features.view import (
    counts_in_history,
    current_corrections,
    records_on,
    registration_on,
)
from tests import factories as f

AS_OF = pd.Timestamp("2025-06-01")
WORLD = f.world(AS_OF.date())


def _revoke(event_id: str, decided_on: str, correction_id: str = "C1") -> dict:
    return f.correction(
        "credit_events",
        f.STRUGGLING,
        {"event_id": event_id},
        "revoke",
        decided_on,
        correction_id=correction_id,
    )


def test_registration_on_is_the_rows_the_registry_features_use():
    registry = pd.concat(
        [
            WORLD["registry"],
            f.registry(f.STRUGGLING, "2019-08-01", zone="dongjiang", changes=[("2025-05-01", "revoked")]),
            f.registry(f.NEWCOMER, "2025-09-01"),  # established after as-of: not registered yet
        ],
        ignore_index=True,
    )
    amend = f.correction(
        "registry",
        f.HEALTHY,
        {"status_changed_on": "2015-05-20"},
        "amend",
        "2025-01-01",
        new_values={"zone": "bonded"},
    )
    records = {**WORLD, "registry": registry}
    corrections = f.corrections([amend])
    shown = registration_on(registry, AS_OF, corrections)
    features = compute_features(records, AS_OF, corrections).set_index("credit_code")
    assert list(shown.index) == list(features.index)
    assert shown["zone"].tolist() == features["reg_zone"].astype("str").tolist()
    assert shown.loc[f.HEALTHY, "zone"] == "bonded", "the amend decided before as-of applies"
    assert shown.loc[f.STRUGGLING, "status"] == "revoked", "the latest status change by as-of"
    assert (shown["status"] == "active").astype(float).tolist() == features["reg_is_active"].tolist()


def test_registration_on_ignores_what_was_reported_or_decided_later():
    late = f.registry(f.STRUGGLING, "2019-08-01", changes=[("2025-05-01", "deregistered")])
    late.loc[1, "reported_on"] = pd.Timestamp("2025-07-01")
    later_amend = f.correction(
        "registry",
        f.STRUGGLING,
        {"status_changed_on": "2019-08-01"},
        "amend",
        "2025-07-01",
        new_values={"zone": "bonded"},
    )
    shown = registration_on(late, AS_OF, f.corrections([later_amend]))
    assert shown.loc[f.STRUGGLING, "status"] == "active"
    assert shown.loc[f.STRUGGLING, "zone"] == "teda"


def test_a_revoked_record_shows_as_revoked_beside_the_others():
    events = WORLD["credit_events"]
    shown = records_on(events, "credit_events", AS_OF, f.corrections([_revoke("S2", "2025-04-01")]))
    status = shown.set_index("event_id")["status"]
    assert status["S2"] == "revoked"
    assert shown.set_index("event_id").loc["S2", "correction"] == "revoke"
    assert status["S1"] != "revoked" and status["S3"] == "repaired"
    assert len(shown) == len(events), "a revoked record stays on the page, marked"
    assert pd.isna(shown.set_index("event_id").loc["S2", "days_unrepaired"]), "it no longer counts"


def test_amend_and_repair_corrections_are_applied_and_named():
    amend = f.correction(
        "credit_events",
        f.STRUGGLING,
        {"event_id": "S1"},
        "amend",
        "2025-02-01",
        new_values={"severity": "minor"},
        correction_id="C1",
    )
    repair = f.correction(
        "credit_events", f.STRUGGLING, {"event_id": "S2"}, "repair", "2025-05-01", correction_id="C2"
    )
    shown = records_on(WORLD["credit_events"], "credit_events", AS_OF, f.corrections([amend, repair]))
    by_id = shown.set_index("event_id")
    assert by_id.loc["S1", "severity"] == "minor" and by_id.loc["S1", "correction"] == "amend"
    assert by_id.loc["S2", "status"] == "repaired" and by_id.loc["S2", "correction"] == "repair"
    assert by_id.loc["S4", "correction"] is None


def test_current_scores_apply_a_later_revoke_point_in_time_features_do_not():
    """The rule of the README: scores apply every correction so far, panels only those of each as-of."""
    corrections = f.corrections([_revoke("S2", "2026-03-01")])  # decided long after as-of
    point_in_time = compute_features(WORLD, AS_OF, corrections).set_index("credit_code")
    current = compute_features(WORLD, AS_OF, current_corrections(corrections, AS_OF)).set_index("credit_code")
    assert point_in_time.loc[f.STRUGGLING, "ce_active_abnormal_operation"] == 1.0
    assert current.loc[f.STRUGGLING, "ce_active_abnormal_operation"] == 0.0
    shown = records_on(
        WORLD["credit_events"], "credit_events", AS_OF, current_corrections(corrections, AS_OF)
    )
    assert shown.set_index("event_id").loc["S2", "status"] == "revoked", "the page follows the score"


def test_labels_see_a_later_revoke_in_their_outcome_but_not_in_their_population():
    records = f.combine(
        {
            "registry": f.registry(f.STRUGGLING, "2019-08-01"),
            "credit_events": f.loaded(
                "credit_events",
                [
                    f.credit_event(f.STRUGGLING, "P1", "admin_penalty", "general", "2024-12-01"),
                    f.credit_event(f.STRUGGLING, "L1", "serious_dishonesty", "serious", "2025-09-01"),
                ],
            ),
        }
    )
    no_corrections = compute_labels(records, AS_OF, "credit")
    later = f.corrections([_revoke("L1", "2026-01-01")])
    revoked = compute_labels(records, AS_OF, "credit", later)
    assert no_corrections["default_12m"].tolist() == [1]
    assert revoked["default_12m"].tolist() == [0], "the record was wrong: no default happened"
    held = compute_labels(records, AS_OF, "repair", f.corrections([_revoke("P1", "2026-01-01")]))
    assert held["credit_code"].tolist() == [f.STRUGGLING], "as-of population from what was known then"


def test_current_corrections_dates_later_decisions_on_the_as_of_date():
    corrections = f.corrections([_revoke("S2", "2024-01-01", "C1"), _revoke("S1", "2026-03-01", "C2")])
    dated = current_corrections(corrections, date(2025, 6, 1))
    assert dated["decided_on"].tolist() == [pd.Timestamp("2024-01-01"), AS_OF]
    assert current_corrections(None, AS_OF).empty


def test_a_repaired_record_stops_counting_in_the_history_counts():
    events = f.loaded(
        "credit_events",
        [
            f.credit_event(
                f.STRUGGLING, "R1", "admin_penalty", "general", "2024-09-01", repaired_on="2025-01-15"
            ),
            f.credit_event(
                f.STRUGGLING, "R2", "admin_penalty", "general", "2024-10-01", repaired_on="2025-09-01"
            ),
            f.credit_event(
                f.STRUGGLING, "R3", "abnormal_operation", "general", "2024-11-01", removed_on="2025-02-01"
            ),
            f.credit_event(f.STRUGGLING, "R4", "honor", "minor", "2024-12-01", repaired_on="2025-01-01"),
        ],
    )
    assert counts_in_history(events, AS_OF).tolist() == [False, True, True, True]


def test_the_history_counts_leave_out_a_repaired_record():
    features = compute_features(WORLD, AS_OF).set_index("credit_code")
    # S3, a general penalty of 2023-01 repaired in 2023-06, no longer counts; S1 and S2 still do.
    assert features.loc[f.STRUGGLING, "ce_admin_penalty_count_36m"] == 1.0
    assert features.loc[f.STRUGGLING, "ce_negative_general_count_36m"] == 2.0
    assert features.loc[f.STRUGGLING, "ce_repaired_count_36m"] == 1.0

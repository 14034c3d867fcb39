"""Features must not move when anything reported after the as-of date changes."""

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.compute import compute_features
from features.panel import build_panel, split_out_of_time
from tests import factories as f

AS_OF = pd.Timestamp("2025-06-01")
WORLD = f.world()
BASELINE = compute_features(WORLD, AS_OF)
SOURCES_WITH_ROWS = sorted(name for name, frame in WORLD.items() if len(frame))
NUMERIC = {
    "tax": "vat_sales",
    "social_security": "insured_headcount",
    "utility": "electricity_kwh",
    "statistics": "revenue",
    "ip": "amount",
    "tax_grade": None,
    "registry": "registered_capital",
    "credit_events": None,
}
quick = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def later_edits(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    """Copies, changes and deletions of records, all reported after the as-of date."""
    records = {name: frame.copy() for name, frame in WORLD.items()}
    name = draw(st.sampled_from(SOURCES_WITH_ROWS))
    frame = records[name]
    later = frame["reported_on"] > AS_OF
    # Restate an existing record (same key) or add new ones, reported after as-of.
    picked = draw(st.lists(st.integers(0, len(frame) - 1), min_size=1, max_size=5))
    extra = frame.iloc[picked].copy()
    extra["reported_on"] = AS_OF + pd.Timedelta(days=draw(st.integers(1, 400)))
    extra["loaded_at"] = f.LOADED_AT + pd.Timedelta(days=1)
    column = NUMERIC[name]
    if column is not None:
        extra[column] = extra[column] * draw(st.floats(0, 10)) + 1
    if name == "credit_events":
        extra["repaired_on"] = AS_OF - pd.Timedelta(days=draw(st.integers(0, 300)))
    if name == "tax_grade":
        extra["grade"] = draw(st.sampled_from("ABMCD"))
    if draw(st.booleans()) and later.any():  # drop some records that were reported later anyway
        frame = frame[~(later & (draw(st.integers(0, 1)) == 1))]
    records[name] = pd.concat([frame, extra], ignore_index=True)
    return records


@quick
@given(later_edits())
def test_adding_changing_or_deleting_later_records_changes_no_feature(records):
    pd.testing.assert_frame_equal(compute_features(records, AS_OF), BASELINE)


@quick
@given(
    source_and_key=st.sampled_from(
        [
            ("tax", {"period": "2025-03"}, f.STRUGGLING),
            ("social_security", {"period": "2025-02"}, f.STRUGGLING),
            ("credit_events", {"event_id": "S1"}, f.STRUGGLING),
            ("credit_events", {"event_id": "S2"}, f.STRUGGLING),
            ("tax_grade", {"year": 2024}, f.STRUGGLING),
            ("statistics", {"period": "2024Q4"}, f.HEALTHY),
        ]
    ),
    action=st.sampled_from(["revoke", "amend", "repair"]),
    days_after=st.integers(1, 500),
)
def test_correction_decided_after_as_of_does_not_apply(source_and_key, action, days_after):
    source, key, code = source_and_key
    new_values = {"arrears_balance": 0.0, "grade": "A", "severity": "minor", "revenue": 1.0}
    corrections = f.corrections(
        [
            f.correction(
                source, code, key, action, (AS_OF + pd.Timedelta(days=days_after)).isoformat(), new_values
            )
        ]
    )
    pd.testing.assert_frame_equal(compute_features(WORLD, AS_OF, corrections), BASELINE)


def test_correction_decided_by_as_of_does_apply():
    corrections = f.corrections(
        [f.correction("credit_events", f.STRUGGLING, {"event_id": "S2"}, "revoke", "2025-05-01")]
    )
    features = compute_features(WORLD, AS_OF, corrections).set_index("credit_code")
    assert features.loc[f.STRUGGLING, "ce_active_abnormal_operation"] == 0


def test_label_windows_never_overlap_feature_inputs_and_split_keeps_gaps():
    dates = pd.date_range("2023-01-01", "2025-06-01", freq="QS")
    panel = build_panel(WORLD, dates.date, label="credit")  # asserts inputs <= as_of < window
    train, valid, test = split_out_of_time(panel, valid_months=1, test_months=1)
    assert len(train) and len(valid) and len(test)
    window = pd.DateOffset(months=panel.attrs["label_window_months"])
    assert train["as_of"].max() + window <= valid["as_of"].min()
    assert valid["as_of"].max() + window <= test["as_of"].min()

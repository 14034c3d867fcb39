"""Data tests of the synthetic world: determinism, realism shares, rules, faults and ingestion."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.contracts import SOURCES
from data.credit_code import is_valid_credit_code
from data.synth import WorldSummary, generate_world
from data.synth.mess import REASONS
from data.synth.params import ZONE_MIX


def read_source(world: WorldSummary, source: str) -> pd.DataFrame:
    """All rows of a source with canonical names, as text for CSV; with file and row number."""
    frames = []
    for path in world.files[source]:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, encoding="gb18030", dtype=str, keep_default_na=False)
            aliases = {
                SOURCES[source].columns[i].aliases[0]: c.name for i, c in enumerate(SOURCES[source].columns)
            }
            frame = frame.rename(columns=aliases)
        else:
            frame = pd.read_parquet(path)
        frame["file"] = path.relative_to(world.out).as_posix()
        frame["row_number"] = np.arange(1, len(frame) + 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def mess(world: WorldSummary) -> pd.DataFrame:
    return pd.read_csv(world.truth["mess"])


def clean(world: WorldSummary, source: str) -> pd.DataFrame:
    """Rows of a source that are not deliberately messy."""
    frame = read_source(world, source)
    faults = mess(world)
    faults = faults[faults["source"] == source]
    bad = pd.MultiIndex.from_frame(faults[["file", "row_number"]])
    return frame[~pd.MultiIndex.from_frame(frame[["file", "row_number"]]).isin(bad)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(tmp_path_factory.mktemp("world"), 1_500, seed=7, chunk_enterprises=1_000)


@pytest.fixture(scope="module")
def large_world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(tmp_path_factory.mktemp("large"), 5_000, seed=3)


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    kwargs = {"enterprises": 300, "months": 24, "chunk_enterprises": 200}
    a = generate_world(tmp_path / "a", seed=1, **kwargs)
    b = generate_world(tmp_path / "b", seed=1, **kwargs)
    c = generate_world(tmp_path / "c", seed=2, **kwargs)
    assert _digests(a.out) == _digests(b.out)
    differing = {k for k, v in _digests(a.out).items() if _digests(c.out).get(k) != v}
    assert "sources/tax/2022.csv" in differing


def test_every_source_is_written_in_its_form(world: WorldSummary) -> None:
    assert set(world.files) == set(SOURCES)
    for source, paths in world.files.items():
        assert paths, source
        assert all(p.parent == world.out / "sources" / source for p in paths)
    header = world.files["tax"][0].read_bytes().split(b"\n", 1)[0].decode("gb18030")
    assert header.split(",")[:2] == ["统一社会信用代码", "所属期"]
    assert {p.name for p in world.files["tax"]} == {"2022.csv", "2023.csv", "2024.csv", "2025.csv"}


def test_tax_grade_shares_are_near_national(world: WorldSummary) -> None:
    grades = clean(world, "tax_grade")["grade"].value_counts(normalize=True)
    assert 0.02 <= grades.get("A", 0) <= 0.09
    assert 0.015 <= grades.get("D", 0) <= 0.06  # docs/synthetic-world.md: about 3% of graded firms
    assert grades.get("B", 0) > 0.4


def test_above_scale_enterprises_are_a_minority(world: WorldSummary) -> None:
    registry = clean(world, "registry")
    statistics = clean(world, "statistics")
    share = statistics["credit_code"].nunique() / registry["credit_code"].nunique()
    assert 0.02 <= share <= 0.20
    revenue = (
        statistics.groupby("credit_code")["revenue"].sum()
        / statistics.groupby("credit_code")["period"].nunique()
        * 4
    )
    assert revenue.median() >= 1_000  # 10k CNY a year: about the 20 million threshold or more


def test_dormancy_and_zombies(world: WorldSummary) -> None:
    latent = pd.read_parquet(world.truth["latent"])
    dormant_share = 1 - latent["operating"].mean()
    assert 0.04 <= dormant_share <= 0.25
    enterprises = pd.read_parquet(world.truth["enterprises"])
    last = latent[latent["period"] == latent["period"].max()]
    zombies = last[~last["operating"]].merge(enterprises, on="credit_code")
    assert zombies["zombie"].any()
    assert enterprises["exit_kind"].isin([1, 2]).any()


def test_repairs_respect_minimum_display(world: WorldSummary) -> None:
    events = clean(world, "credit_events")
    repaired = events[events["repaired_on"] != ""]
    published = pd.to_datetime(repaired["published_on"])
    repaired_on = pd.to_datetime(repaired["repaired_on"])
    general = repaired["severity"] == "general"
    penalty_like = repaired["kind"] != "abnormal_operation"
    assert len(repaired[general & penalty_like]) > 0
    rule = general & penalty_like
    assert (repaired_on[rule] >= published[rule] + pd.DateOffset(months=3)).all()
    serious = repaired["severity"] == "serious"
    assert (repaired_on[serious] >= published[serious] + pd.DateOffset(years=1)).all()
    minor = events[events["severity"] == "minor"]
    assert (minor.loc[minor["kind"] == "admin_penalty", "published_on"] == "").all()


def test_electricity_has_spring_festival_dip_and_summer_peak(world: WorldSummary) -> None:
    utility = clean(world, "utility")
    month = utility["period"].str[5:7].astype(int)
    by_month = utility.groupby(month)["electricity_kwh"].median()
    assert by_month[2] < by_month.mean() and by_month[1] < by_month.mean()
    assert by_month[7] > by_month.mean() * 1.05 and by_month[8] > by_month.mean() * 1.05


def test_codes_are_valid_except_injected_bad_codes(world: WorldSummary) -> None:
    faults = mess(world)
    for source in SOURCES:
        frame = read_source(world, source)
        invalid = frame[~frame["credit_code"].map(is_valid_credit_code)]
        expected = faults[(faults["source"] == source) & (faults["reason_code"] == "bad_credit_code")]
        assert sorted(zip(invalid["file"], invalid["row_number"], strict=True)) == sorted(
            zip(expected["file"], expected["row_number"], strict=True)
        ), source
    registry = clean(world, "registry")
    assert (registry["credit_code"].str[1] == registry["entity_type"]).all()


def test_zone_industry_mixes(world: WorldSummary) -> None:
    registry = clean(world, "registry").drop_duplicates("credit_code")
    for zone, mix in ZONE_MIX.items():
        industries = registry.loc[registry["zone"] == zone, "industry"]
        assert set(industries) <= set(mix)
        shares = industries.value_counts(normalize=True)
        for industry, weight in mix.items():
            assert abs(shares.get(industry, 0.0) - weight) < 0.09, (zone, industry)
    teda = registry.loc[registry["zone"] == "teda", "industry"]
    assert {"C36", "C39", "C27"} <= set(teda)


def test_mess_manifest_is_consistent(world: WorldSummary) -> None:
    faults = mess(world)
    assert set(faults["reason_code"]) <= set(REASONS)
    assert {"bad_credit_code", "duplicate_key", "negative_value"} <= set(faults["reason_code"])
    for source in SOURCES:
        frame = read_source(world, source)
        sizes = frame.groupby("file").size()
        rows = faults[faults["source"] == source]
        assert (rows["row_number"] <= rows["file"].map(sizes)).all()
    tax = read_source(world, "tax")
    dup = faults[(faults["source"] == "tax") & (faults["reason_code"] == "duplicate_key")].iloc[0]
    at = tax[(tax["file"] == dup["file"])].set_index("row_number")
    cols = SOURCES["tax"].column_names
    assert list(at.loc[dup["row_number"], cols]) == list(at.loc[dup["row_number"] - 1, cols])


def test_oracle_probabilities_are_calibrated(world: WorldSummary) -> None:
    labels = pd.read_parquet(world.truth["labels"])
    for p, y in (("p_default_12m", "default_12m"), ("p_active_next_q", "active_next_q")):
        known = labels.dropna(subset=[y])
        assert abs(known[p].mean() - known[y].mean()) < 0.05, p


@pytest.mark.slow
def test_oracle_auc_is_in_the_target_band(large_world: WorldSummary) -> None:
    from sklearn.metrics import roc_auc_score

    labels = pd.read_parquet(large_world.truth["labels"])
    credit = labels.dropna(subset=["default_12m"])
    assert 0.80 <= roc_auc_score(credit["default_12m"], credit["p_default_12m"]) <= 0.92
    repair = labels.dropna(subset=["unrepaired_12m"])
    assert roc_auc_score(repair["unrepaired_12m"], repair["p_unrepaired_12m"]) > 0.7


@pytest.mark.slow
def test_shares_hold_on_a_larger_world(large_world: WorldSummary) -> None:
    test_tax_grade_shares_are_near_national(large_world)
    test_above_scale_enterprises_are_a_minority(large_world)
    test_electricity_has_spring_festival_dip_and_summer_peak(large_world)


def test_ingestion_quarantines_exactly_the_injected_faults(world: WorldSummary, tmp_path: Path) -> None:
    ingest = pytest.importorskip("data.ingest")
    warehouse = pytest.importorskip("data.warehouse")
    faults = mess(world)
    for source, paths in world.files.items():
        result = ingest.ingest_files(source, paths, home=tmp_path)
        expected = faults[faults["source"] == source]
        assert result.rows_quarantined == len(expected), source
        assert result.rows_loaded == result.rows_in - len(expected), source
        quarantine = warehouse.read_quarantine(source, home=tmp_path)
        got = {
            (Path(f).name, int(r), c)
            for f, r, c in zip(
                quarantine["file"], quarantine["row_number"], quarantine["reason_code"], strict=True
            )
        }
        want = {
            (Path(f).name, int(r), c)
            for f, r, c in zip(expected["file"], expected["row_number"], expected["reason_code"], strict=True)
        }
        assert got == want, source


def test_monte_carlo_repair_oracle_is_calibrated_and_sharper_than_the_analytic(world: WorldSummary) -> None:
    from sklearn.metrics import roc_auc_score

    labels = pd.read_parquet(world.truth["labels"])
    repair = labels[labels["in_repair_population"] & labels["unrepaired_12m"].notna()]
    assert len(repair) > 500
    outcome = repair["unrepaired_12m"]
    assert abs(repair["p_unrepaired_12m_mc"].mean() - outcome.mean()) < 0.03
    monte_carlo = roc_auc_score(outcome, repair["p_unrepaired_12m_mc"])
    assert monte_carlo >= roc_auc_score(outcome, repair["p_unrepaired_12m"]) - 0.01
    # 200 paths: a binomial standard error of at most 0.5 / sqrt(200) per row.
    assert repair["p_unrepaired_12m_mc_se"].max() <= 0.5 / np.sqrt(200) + 1e-6
    assert labels.loc[~labels["in_repair_population"], "p_unrepaired_12m_mc"].isna().all()

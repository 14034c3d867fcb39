"""GET /v1/zones/{zone}/economy: series checked against sums taken straight from the warehouse files."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.serving.fixtures import AS_OF_DATES, Keys, ServedWorld

AS_OF = AS_OF_DATES[1]


def _parquet(world: ServedWorld, source: str) -> pd.DataFrame:
    files = sorted((world.home / "warehouse" / source).glob("batch=*/bucket=*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def _hand_vat_sales(world: ServedWorld, zone: str, month: str) -> float:
    """Sum a zone's taxable sales for a month as known on AS_OF, by hand from the Parquet files."""
    cutoff = pd.Timestamp(AS_OF)
    registry = _parquet(world, "registry")
    registry = registry[(registry["reported_on"] <= cutoff) & (registry["status_changed_on"] <= cutoff)]
    zone_of = registry.sort_values(["status_changed_on", "reported_on"]).groupby("credit_code")["zone"].last()
    tax = _parquet(world, "tax")
    tax = tax[(tax["reported_on"] <= cutoff) & (tax["period"] == pd.Timestamp(month))]
    tax = tax.sort_values(["reported_on", "loaded_at"]).groupby("credit_code").last()
    return float(tax["vat_sales"][zone_of.reindex(tax.index) == zone].sum())


def _economy(client: TestClient, key: str, zone: str = "hitech", **params: object):
    return client.get(
        f"/v1/zones/{zone}/economy", params={"as_of": AS_OF, **params}, headers=Keys.header(key)
    )


def test_vat_sales_and_yoy_are_the_warehouse_sums(client: TestClient, keys: Keys, world: ServedWorld):
    response = _economy(client, keys.analyst)
    assert response.status_code == 200, response.text
    body = response.json()
    month = body["series"][-1]
    assert month["period"] == "2024-09-01"  # October's tax is reported on 15 November: not known yet
    this_year = _hand_vat_sales(world, "hitech", "2024-09-01")
    year_before = _hand_vat_sales(world, "hitech", "2023-09-01")
    assert this_year > 0 and year_before > 0
    assert month["vat_sales"]["value"] == pytest.approx(this_year)
    assert month["vat_sales"]["yoy"] == pytest.approx(this_year / year_before - 1, abs=1e-6)
    assert "revenue" in body["not_in_frequency"] and "revenue" not in month
    assert body["industries"] and set(body["by_industry"]) == set(body["industries"])
    by_industry = sum(s[-1]["vat_sales"]["value"] or 0 for s in body["by_industry"].values())
    assert by_industry == pytest.approx(this_year)


def test_quarterly_series_hold_statistics_and_the_index_says_what_it_lacks(client: TestClient, keys: Keys):
    body = _economy(client, keys.analyst, frequency="quarterly", industry="C").json()
    assert body["frequency"] == "quarterly" and set(body["by_industry"]) == {"C"}
    quarter = body["series"][-1]
    assert quarter["period"] == "2024-07-01" and quarter["revenue"]["value"] > 0
    assert quarter["vat_sales"]["value"] > 0 and quarter["rd_expense"]["yoy"] is not None
    index = body["tax_electricity_index"]
    assert index["weights"] == {"production_readiness": 0.30, "capacity": 0.37, "sales": 0.33}
    assert any("purchases" in n for n in index["not_computed"])
    latest = index["periods"][-1]
    capacity = (1 + quarter["electricity_kwh"]["yoy"]) * 100
    assert latest["components"]["capacity"] == pytest.approx(capacity, abs=1e-4)
    used = latest["components_used"]
    assert "capacity" in used and "sales" in used
    weights = {c: index["weights"][c] for c in used}
    expected = sum(latest["components"][c] * w for c, w in weights.items()) / sum(weights.values())
    assert latest["index"] == pytest.approx(expected, abs=1e-4)


def test_zone_admins_see_and_compare_only_their_zones(client: TestClient, keys: Keys):
    assert _economy(client, keys.admin_teda, "hitech").status_code == 404
    own = _economy(client, keys.admin_teda, "teda")
    assert own.status_code == 200 and [c["zone"] for c in own.json()["comparison"]] == ["teda"]
    everyone = _economy(client, keys.analyst, "teda").json()["comparison"]
    assert len(everyone) > 1 and {"teda", "hitech"} <= {c["zone"] for c in everyone}
    refused = _economy(client, keys.scorer, "teda")
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"frequency": "weekly"}, "unknown frequency"),
        ({"industry": "ZZ"}, "unknown industry section"),
        ({"as_of": date(2999, 1, 1)}, "after the latest date the data support"),
        ({"as_of": "yesterday"}, "as_of"),
    ],
)
def test_bad_parameters_are_422_with_the_reason(client: TestClient, keys: Keys, params: dict, message: str):
    response = _economy(client, keys.analyst, **params)
    assert response.status_code == 422 and message in response.text


def test_unknown_zone_is_422(client: TestClient, keys: Keys):
    response = _economy(client, keys.analyst, "atlantis")
    assert response.status_code == 422 and "unknown zone" in response.text


def test_the_page_compares_the_analysts_zones_and_refuses_a_bad_frequency(client: TestClient, keys: Keys):
    from tests.serving.test_dashboard import sign_in

    analyst, _ = sign_in(client, keys.analyst)
    page = analyst.get("/economy", params={"zone": "hitech"})
    assert page.status_code == 200 and "高新区" in page.text
    compared = page.text.split('id="economy-zones"')[1]
    assert compared.count("<tr") - 1 == len(_economy(client, keys.analyst, "hitech").json()["comparison"])
    assert "采购额" in page.text
    refused = analyst.get("/economy", params={"frequency": "weekly"})
    assert refused.status_code == 422 and "frequency must be one of" in refused.text


def test_an_empty_warehouse_is_a_404_not_a_crash(tmp_path, settings):
    from serving.economy import economy_for
    from serving.errors import ApiError
    from serving.keys import Principal

    empty = settings.model_copy(update={"home": tmp_path})
    with pytest.raises(ApiError) as refused:
        economy_for(Principal("k", "analyst", "analyst", None), empty, "teda")
    assert refused.value.status == 404 and "no data for zone teda yet" in str(refused.value)

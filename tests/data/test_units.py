"""Units as exports write them: read from headers and unit lines, converted or refused."""

from __future__ import annotations

import pytest

from data.contracts import get_source
from data.errors import RejectedFile
from data.units import column_factors, split_unit, unit_line


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("用电量（kWh）", ("用电量", "kWh")),
        ("用水量(立方米)", ("用水量", "立方米")),
        ("罚款金额（万元）", ("罚款金额", "万元")),
        ("作出决定机关(列入)", ("作出决定机关(列入)", None)),  # a bracket that is no unit
        ("行政相对人代码_1(统一社会信用代码)", ("行政相对人代码_1(统一社会信用代码)", None)),
    ],
)
def test_units_in_headers(header: str, expected: tuple[str, str | None]) -> None:
    assert split_unit(header) == expected


def test_unit_lines() -> None:
    assert unit_line("单位：万元") == "万元"
    assert unit_line("金额单位：元（列至角分）") == "元"
    assert unit_line("2025年1月纳税情况表") is None


def test_factors_convert_into_the_contract_unit() -> None:
    tax, statistics, utility = get_source("tax"), get_source("statistics"), get_source("utility")
    assert column_factors(tax, {"vat_sales": "万元"}, None, "f") == {"vat_sales": 10_000.0}
    assert column_factors(statistics, {"revenue": "元", "total_assets": "亿元"}, None, "f") == {
        "revenue": 0.0001,
        "total_assets": 10_000.0,
    }
    assert column_factors(utility, {"water_m3": "吨", "electricity_kwh": "度"}, None, "f") == {}
    # a unit line applies to money columns whose header is silent, and only if it is money
    assert column_factors(tax, {}, "万元", "f")["arrears_balance"] == 10_000.0
    assert column_factors(utility, {}, "千瓦时", "f") == {}


def test_a_unit_the_column_cannot_take_rejects_the_file() -> None:
    with pytest.raises(RejectedFile, match="column gas_m3 is in m3; the file writes it in '吨'"):
        column_factors(get_source("utility"), {"gas_m3": "吨"}, None, "f")
    with pytest.raises(
        RejectedFile, match="column insured_headcount is in persons; the file writes it in '元'"
    ):
        column_factors(get_source("social_security"), {"insured_headcount": "元"}, None, "f")

"""Reason texts: registry wording, and a mark on every reason resting on self-declared figures."""

from __future__ import annotations

import numpy as np

from models.reasons import ReasonWording, ReasonWriter


def test_self_declared_reasons_say_so():
    features = ("tax_arrears_months_12m", "decl_revenue_overstatement")
    wording = ReasonWording(features, medians=(0.0, 0.0), categorical=(False, False))
    writer = ReasonWriter(wording, adverse_sign=1)
    matrix = np.array([[3.0, 0.4]])
    contributions = np.array([[0.2, 0.5, -1.0]])
    out = writer.top(matrix, contributions, k=2)
    assert out["reason_1_feature"][0] == "decl_revenue_overstatement"
    assert out["reason_1_zh"][0] == "自报营业收入超出同年开票销售额的比例偏高（企业自报）"
    assert (
        out["reason_1_en"][0]
        == "high: share by which declared revenue exceeds the year's taxable sales (self-declared)"
    )
    assert out["reason_2_zh"][0] == "近12个月欠税月数偏高"  # a department's record: no mark
    assert out["reason_2_en"][0] == "high: months with tax arrears in 12"

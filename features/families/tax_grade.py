"""Tax credit grade features: the latest published grade and the grades of recent years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.vocabulary import TAX_GRADES
from features.families.base import (
    DOWN,
    NONE,
    UP,
    Columns,
    FeatureDef,
    count,
    feature,
    rows_of,
)

# Grades as points, best first: A=4, B=3, M=2, C=1, D=0.
GRADE_POINTS = {grade: float(len(TAX_GRADES) - 1 - i) for i, grade in enumerate(TAX_GRADES)}


def _declare() -> list[FeatureDef]:
    s = "tax_grade"
    return [
        feature(
            "tg_last_grade",
            "最近一次纳税信用等级",
            "latest tax credit grade",
            s,
            None,
            NONE,
            True,
            "categorical",
        ),
        feature(
            "tg_last_grade_points",
            "最近一次纳税信用等级分值(A=4…D=0)",
            "latest tax grade as points (A=4 … D=0)",
            s,
            None,
            DOWN,
            True,
        ),
        feature("tg_last_is_a", "最近一次纳税信用为A级", "latest tax grade is A", s, None, DOWN, True),
        feature("tg_last_is_d", "最近一次纳税信用为D级", "latest tax grade is D", s, None, UP, True),
        feature("tg_a_count_3y", "近3年A级次数", "A grades in the last 3 years", s, 36, DOWN, True),
        feature("tg_d_count_3y", "近3年D级次数", "D grades in the last 3 years", s, 36, UP, True),
        feature(
            "tg_c_or_d_count_3y", "近3年C级或D级次数", "C or D grades in the last 3 years", s, 36, UP, True
        ),
        feature("tg_years_graded", "已评纳税信用年数", "years with a tax grade", s, None, NONE, False),
        feature(
            "tg_grade_change",
            "纳税信用等级较上年变化",
            "change of grade points on the year before",
            s,
            24,
            DOWN,
            True,
        ),
        feature(
            "tg_years_since_grade",
            "距最近一次评级年数",
            "years since the latest published grade",
            s,
            None,
            NONE,
            False,
        ),
    ]


FEATURES: tuple[FeatureDef, ...] = tuple(_declare())
CATEGORIES: dict[str, tuple[str, ...]] = {
    "tg_last_grade": TAX_GRADES,
}


def compute(grades: pd.DataFrame, enterprises: pd.Index, as_of: pd.Timestamp) -> Columns:
    """Compute the tax-grade features from the grades published by ``as_of``."""
    n = len(enterprises)
    rows = rows_of(grades, enterprises)
    year = grades["year"].to_numpy(np.int64)
    points = grades["grade"].map(GRADE_POINTS).to_numpy(np.float64)
    recent = year >= as_of.year - 3
    ordered = grades.assign(_row=rows, _points=points).sort_values(["_row", "year"], kind="stable")
    ordered = ordered[ordered["_row"] >= 0]
    last = ordered.drop_duplicates("_row", keep="last")
    before_last = ordered.drop(last.index).drop_duplicates("_row", keep="last")
    last_grade = np.full(n, None, dtype=object)
    last_grade[last["_row"].to_numpy()] = last["grade"].to_numpy(object)
    last_points = np.full(n, np.nan)
    last_points[last["_row"].to_numpy()] = last["_points"].to_numpy()
    previous_points = np.full(n, np.nan)
    previous_points[before_last["_row"].to_numpy()] = before_last["_points"].to_numpy()
    last_year = np.full(n, np.nan)
    last_year[last["_row"].to_numpy()] = last["year"].to_numpy(np.float64)
    grade = grades["grade"].to_numpy(object)
    graded = ~np.isnan(last_points)
    return {
        "tg_last_grade": last_grade,
        "tg_last_grade_points": last_points,
        "tg_last_is_a": np.where(graded, last_points == GRADE_POINTS["A"], np.nan),
        "tg_last_is_d": np.where(graded, last_points == GRADE_POINTS["D"], np.nan),
        "tg_a_count_3y": count(rows, recent & (grade == "A"), n),
        "tg_d_count_3y": count(rows, recent & (grade == "D"), n),
        "tg_c_or_d_count_3y": count(rows, recent & np.isin(grade, ["C", "D"]), n),
        "tg_years_graded": count(rows, np.ones(len(rows), bool), n),
        "tg_grade_change": last_points - previous_points,
        "tg_years_since_grade": as_of.year - last_year,
    }

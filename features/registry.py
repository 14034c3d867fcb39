"""Every feature declared once: meaning in Chinese and English, source, window, risk direction.

The direction feeds LightGBM monotone constraints and the wording of reasons; ``actionable``
says whether the enterprise itself can move the value ("what would move the grade up"). The
feature-set version is a hash of these declarations, so any change to a definition changes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

Direction = Literal["increases_risk", "decreases_risk", "none"]
FeatureKind = Literal["numeric", "categorical"]
UP: Direction = "increases_risk"
DOWN: Direction = "decreases_risk"
NONE: Direction = "none"


@dataclass(frozen=True)
class FeatureDef:
    """One feature: what it measures, from which source, over which window, and its risk sense."""

    name: str
    description_zh: str
    description_en: str
    source: str
    window_months: int | None
    direction: Direction
    actionable: bool
    kind: FeatureKind = "numeric"

    @property
    def self_declared(self) -> bool:
        """Whether the value rests on figures the enterprise states itself (reasons say so)."""
        return self.source in SELF_DECLARED_SOURCES


# Sources whose figures come from the enterprise, not from a department's records.
SELF_DECLARED_SOURCES = ("declarations",)
# Windowed statistics of a monthly or quarterly measure: name suffix -> (zh, en) templates and the
# direction of the statistic relative to the direction of the measure's level.
_STATS: dict[str, tuple[str, str, str]] = {
    "mean": ("近{w}个月{m}月均值", "mean monthly {m} over {w} months", "same"),
    "sum": ("近{w}个月{m}合计", "total {m} over {w} months", "same"),
    "std": ("近{w}个月{m}标准差", "standard deviation of monthly {m} over {w} months", "none"),
    "cv": ("近{w}个月{m}变异系数", "coefficient of variation of {m} over {w} months", "up"),
    "slope": ("近{w}个月{m}趋势斜率", "linear trend (per month) of {m} over {w} months", "same"),
    "yoy": ("{m}近12个月较上年同期增长率", "year-on-year growth of {m} (last 12 vs prior 12 months)", "same"),
    "last": ("最近一期{m}", "latest reported {m}", "same"),
}


def _windowed(
    prefix: str,
    source: str,
    measure_zh: str,
    measure_en: str,
    level: Direction,
    actionable: bool,
    stats: list[tuple[str, int | None]],
) -> list[FeatureDef]:
    defs = []
    for stat, window in stats:
        zh, en, sense = _STATS[stat]
        direction = {"same": level, "up": UP}.get(sense, NONE)
        suffix = "" if window is None else f"_{window}m"
        defs.append(
            FeatureDef(
                name=f"{prefix}_{stat}{suffix}",
                description_zh=zh.format(w=window, m=measure_zh),
                description_en=en.format(w=window, m=measure_en),
                source=source,
                window_months=24 if stat == "yoy" else window,
                direction=direction,
                actionable=actionable,
            )
        )
    return defs


def _f(
    name: str,
    zh: str,
    en: str,
    source: str,
    window: int | None,
    direction: Direction,
    actionable: bool,
    kind: FeatureKind = "numeric",
) -> FeatureDef:
    return FeatureDef(name, zh, en, source, window, direction, actionable, kind)


FULL_SERIES: list[tuple[str, int | None]] = [
    ("mean", 3),
    ("mean", 6),
    ("mean", 12),
    ("mean", 24),
    ("sum", 12),
    ("std", 12),
    ("cv", 12),
    ("slope", 12),
    ("slope", 24),
    ("yoy", 12),
    ("last", None),
]


def _tax() -> list[FeatureDef]:
    s = "tax"
    return [
        *_windowed("tax_vat_sales", s, "增值税应税销售额", "VAT taxable sales", DOWN, False, FULL_SERIES),
        *_windowed(
            "tax_vat_payable",
            s,
            "增值税应纳税额",
            "VAT payable",
            DOWN,
            False,
            [("mean", 12), ("sum", 12), ("slope", 12), ("yoy", 12)],
        ),
        *_windowed(
            "tax_cit_prepaid",
            s,
            "企业所得税预缴额",
            "corporate income tax prepaid",
            DOWN,
            False,
            [("sum", 12), ("sum", 24)],
        ),
        *[
            _f(
                f"tax_filed_on_time_rate_{w}m",
                f"近{w}个月按期申报率",
                f"share of returns filed on time over {w} months",
                s,
                w,
                DOWN,
                True,
            )
            for w in (6, 12, 24)
        ],
        _f("tax_late_filings_12m", "近12个月逾期申报次数", "late returns over 12 months", s, 12, UP, True),
        *[
            _f(
                f"tax_zero_return_share_{w}m",
                f"近{w}个月零申报占比",
                f"share of zero returns over {w} months",
                s,
                w,
                UP,
                False,
            )
            for w in (6, 12)
        ],
        _f(
            "tax_zero_sales_months_12m",
            "近12个月无销售额月数",
            "months without taxable sales in 12",
            s,
            12,
            UP,
            False,
        ),
        _f(
            "tax_arrears_balance_last",
            "最近一期欠税余额",
            "latest tax arrears outstanding",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "tax_arrears_balance_max_12m",
            "近12个月最高欠税余额",
            "highest tax arrears over 12 months",
            s,
            12,
            UP,
            True,
        ),
        *[
            _f(
                f"tax_arrears_months_{w}m",
                f"近{w}个月欠税月数",
                f"months with tax arrears in {w}",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        _f(
            "tax_arrears_days_last",
            "最近一期欠税天数",
            "days the oldest tax arrears are overdue",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "tax_arrears_days_max_12m",
            "近12个月最长欠税天数",
            "longest tax arrears over 12 months",
            s,
            12,
            UP,
            True,
        ),
        _f(
            "tax_months_reported_12m",
            "近12个月税务申报记录月数",
            "months with a tax record in 12",
            s,
            12,
            DOWN,
            True,
        ),
        _f(
            "tax_months_since_last_report",
            "距最近一期税务记录月数",
            "months since the latest tax record",
            s,
            24,
            UP,
            True,
        ),
    ]


def _social_security() -> list[FeatureDef]:
    s = "social_security"
    return [
        *_windowed(
            "ss_headcount",
            s,
            "参保人数",
            "insured headcount",
            DOWN,
            False,
            [
                ("last", None),
                ("mean", 3),
                ("mean", 6),
                ("mean", 12),
                ("slope", 6),
                ("slope", 12),
                ("slope", 24),
                ("yoy", 12),
                ("std", 12),
                ("cv", 12),
            ],
        ),
        _f(
            "ss_headcount_change_6m",
            "参保人数较6个月前变化率",
            "relative change of headcount over 6 months",
            s,
            6,
            DOWN,
            False,
        ),
        _f(
            "ss_contribution_base_mean_12m",
            "近12个月缴费基数月均值",
            "mean monthly contribution base",
            s,
            12,
            DOWN,
            False,
        ),
        _f(
            "ss_due_sum_12m", "近12个月应缴社保费合计", "contributions due over 12 months", s, 12, NONE, False
        ),
        _f(
            "ss_paid_sum_12m",
            "近12个月实缴社保费合计",
            "contributions paid over 12 months",
            s,
            12,
            NONE,
            False,
        ),
        *[
            _f(
                f"ss_paid_ratio_{w}m",
                f"近{w}个月社保实缴比例",
                f"contributions paid against due over {w} months",
                s,
                w,
                DOWN,
                True,
            )
            for w in (6, 12)
        ],
        _f(
            "ss_shortfall_months_12m",
            "近12个月社保少缴月数",
            "months paid short of due in 12",
            s,
            12,
            UP,
            True,
        ),
        _f(
            "ss_arrears_months_last",
            "最近一期社保欠费月数",
            "latest months in social-security arrears",
            s,
            None,
            UP,
            True,
        ),
        *[
            _f(
                f"ss_arrears_months_max_{w}m",
                f"近{w}个月最长社保欠费月数",
                f"longest social-security arrears over {w} months",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        *[
            _f(
                f"ss_months_in_arrears_{w}m",
                f"近{w}个月处于社保欠费的月数",
                f"months in social-security arrears in {w}",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        _f(
            "ss_months_reported_12m",
            "近12个月社保记录月数",
            "months with a social-security record in 12",
            s,
            12,
            DOWN,
            True,
        ),
        _f(
            "ss_months_since_last_report",
            "距最近一期社保记录月数",
            "months since the latest social-security record",
            s,
            24,
            UP,
            True,
        ),
    ]


def _utility() -> list[FeatureDef]:
    s = "utility"
    return [
        *_windowed("util_electricity", s, "用电量", "electricity consumption", DOWN, False, FULL_SERIES),
        *_windowed(
            "util_water",
            s,
            "用水量",
            "water consumption",
            NONE,
            False,
            [("mean", 12), ("slope", 12), ("yoy", 12)],
        ),
        *_windowed("util_gas", s, "用气量", "gas consumption", NONE, False, [("mean", 12), ("yoy", 12)]),
        _f(
            "util_billed_sum_12m",
            "近12个月水电燃气费合计",
            "utility bills over 12 months",
            s,
            12,
            NONE,
            False,
        ),
        *[
            _f(
                f"util_paid_ratio_{w}m",
                f"近{w}个月水电燃气费缴纳比例",
                f"utility bills paid over {w} months",
                s,
                w,
                DOWN,
                True,
            )
            for w in (6, 12)
        ],
        _f(
            "util_arrears_balance_last",
            "最近一期水电燃气欠费余额",
            "latest utility arrears",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "util_arrears_balance_max_12m",
            "近12个月最高水电燃气欠费",
            "highest utility arrears over 12 months",
            s,
            12,
            UP,
            True,
        ),
        *[
            _f(
                f"util_months_in_arrears_{w}m",
                f"近{w}个月水电燃气欠费月数",
                f"months with utility arrears in {w}",
                s,
                w,
                UP,
                True,
            )
            for w in (12, 24)
        ],
        _f(
            "util_arrears_run_months",
            "当前连续水电燃气欠费月数",
            "consecutive months of utility arrears to date",
            s,
            24,
            UP,
            True,
        ),
        _f(
            "util_idle_months_12m",
            "近12个月用电低于闲置水平的月数",
            "months with electricity at idle level in 12",
            s,
            12,
            UP,
            False,
        ),
        _f(
            "util_months_reported_12m",
            "近12个月水电燃气记录月数",
            "months with a utility record in 12",
            s,
            12,
            DOWN,
            False,
        ),
        _f(
            "util_months_since_last_report",
            "距最近一期水电燃气记录月数",
            "months since the latest utility record",
            s,
            24,
            UP,
            False,
        ),
    ]


def _statistics() -> list[FeatureDef]:
    s = "statistics"
    return [
        _f(
            "stat_has_report",
            "是否有规上统计报表",
            "files above-scale statistics (absence is information)",
            s,
            None,
            NONE,
            False,
        ),
        _f(
            "stat_quarters_reported_8q",
            "近8个季度统计报表期数",
            "statistics reports in the last 8 quarters",
            s,
            24,
            NONE,
            True,
        ),
        _f(
            "stat_quarters_since_last_report",
            "距最近一期统计报表季度数",
            "quarters since the latest statistics report",
            s,
            24,
            NONE,
            True,
        ),
        _f("stat_revenue_sum_4q", "近4个季度营业收入合计", "revenue over 4 quarters", s, 12, DOWN, False),
        _f(
            "stat_revenue_yoy_4q",
            "近4个季度营业收入同比增长率",
            "revenue growth, 4 quarters on prior 4",
            s,
            24,
            DOWN,
            False,
        ),
        _f(
            "stat_revenue_slope_8q",
            "近8个季度营业收入趋势斜率",
            "revenue trend over 8 quarters",
            s,
            24,
            DOWN,
            False,
        ),
        _f(
            "stat_output_value_sum_4q",
            "近4个季度工业总产值合计",
            "gross output over 4 quarters",
            s,
            12,
            DOWN,
            False,
        ),
        _f("stat_profit_sum_4q", "近4个季度利润总额合计", "profit over 4 quarters", s, 12, DOWN, False),
        _f("stat_profit_margin_4q", "近4个季度利润率", "profit margin over 4 quarters", s, 12, DOWN, False),
        _f("stat_loss_quarters_8q", "近8个季度亏损季度数", "loss-making quarters in 8", s, 24, UP, False),
        _f("stat_employees_last", "最近一期从业人员数", "latest average employees", s, None, DOWN, False),
        _f(
            "stat_rd_expense_sum_4q",
            "近4个季度研发费用合计",
            "R&D expense over 4 quarters",
            s,
            12,
            DOWN,
            True,
        ),
        _f(
            "stat_rd_intensity_4q",
            "近4个季度研发强度",
            "R&D expense against revenue over 4 quarters",
            s,
            12,
            DOWN,
            True,
        ),
        _f("stat_total_assets_last", "最近一期资产总计", "latest total assets", s, None, DOWN, False),
        _f(
            "stat_liabilities_to_assets_last",
            "最近一期资产负债率",
            "latest liabilities to assets",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "stat_liabilities_to_assets_change_4q",
            "资产负债率较4个季度前变化",
            "change of liabilities to assets over 4 quarters",
            s,
            12,
            UP,
            True,
        ),
        _f(
            "stat_assets_yoy_4q",
            "资产总计同比增长率",
            "growth of total assets over 4 quarters",
            s,
            12,
            DOWN,
            False,
        ),
    ]


GRADE_POINTS = {"A": 4.0, "B": 3.0, "M": 2.0, "C": 1.0, "D": 0.0}


def _tax_grade() -> list[FeatureDef]:
    s = "tax_grade"
    return [
        _f(
            "tg_last_grade",
            "最近一次纳税信用等级",
            "latest tax credit grade",
            s,
            None,
            NONE,
            True,
            "categorical",
        ),
        _f(
            "tg_last_grade_points",
            "最近一次纳税信用等级分值(A=4…D=0)",
            "latest tax grade as points (A=4 … D=0)",
            s,
            None,
            DOWN,
            True,
        ),
        _f("tg_last_is_a", "最近一次纳税信用为A级", "latest tax grade is A", s, None, DOWN, True),
        _f("tg_last_is_d", "最近一次纳税信用为D级", "latest tax grade is D", s, None, UP, True),
        _f("tg_a_count_3y", "近3年A级次数", "A grades in the last 3 years", s, 36, DOWN, True),
        _f("tg_d_count_3y", "近3年D级次数", "D grades in the last 3 years", s, 36, UP, True),
        _f("tg_c_or_d_count_3y", "近3年C级或D级次数", "C or D grades in the last 3 years", s, 36, UP, True),
        _f("tg_years_graded", "已评纳税信用年数", "years with a tax grade", s, None, NONE, False),
        _f(
            "tg_grade_change",
            "纳税信用等级较上年变化",
            "change of grade points on the year before",
            s,
            24,
            DOWN,
            True,
        ),
        _f(
            "tg_years_since_grade",
            "距最近一次评级年数",
            "years since the latest published grade",
            s,
            None,
            NONE,
            False,
        ),
    ]


_IP_KINDS_ZH = {
    "invention_application": ("发明专利申请", "invention applications", DOWN),
    "invention_grant": ("发明专利授权", "invention grants", DOWN),
    "utility_grant": ("实用新型授权", "utility-model grants", DOWN),
    "design_grant": ("外观设计授权", "design grants", DOWN),
    "trademark": ("商标注册", "trademarks", DOWN),
    "pledge": ("知识产权质押", "IP pledges", NONE),
    "lapse": ("专利失效", "patent lapses", UP),
    "infringement_penalty": ("侵权处罚", "infringement penalties", UP),
}


def _ip() -> list[FeatureDef]:
    s = "ip"
    act = {"infringement_penalty": True, "lapse": True}
    return [
        *[
            _f(f"ip_{k}_count_total", f"累计{zh}数", f"{en} to date", s, None, d, act.get(k, False))
            for k, (zh, en, d) in _IP_KINDS_ZH.items()
        ],
        *[
            _f(
                f"ip_{k}_count_12m",
                f"近12个月{_IP_KINDS_ZH[k][0]}数",
                f"{_IP_KINDS_ZH[k][1]} in 12 months",
                s,
                12,
                _IP_KINDS_ZH[k][2],
                act.get(k, False),
            )
            for k in (
                "invention_application",
                "invention_grant",
                "utility_grant",
                "trademark",
                "pledge",
                "infringement_penalty",
            )
        ],
        _f("ip_grants_36m", "近36个月专利授权数", "patent grants in 36 months", s, 36, DOWN, False),
        _f("ip_patents_net", "累计授权减失效专利数", "patents granted less lapsed", s, None, DOWN, False),
        _f(
            "ip_pledge_amount_24m",
            "近24个月知识产权质押金额",
            "IP pledge amount in 24 months",
            s,
            24,
            NONE,
            False,
        ),
        _f(
            "ip_months_since_last_event",
            "距最近一次知识产权事件月数",
            "months since the latest IP event",
            s,
            None,
            NONE,
            False,
        ),
    ]


_CREDIT_KINDS_ZH = {
    "admin_penalty": ("行政处罚", "administrative penalties", UP),
    "abnormal_operation": ("经营异常名录", "abnormal-operation listings", UP),
    "serious_dishonesty": ("严重失信名单", "serious-dishonesty listings", UP),
    "judgment_defaulter": ("失信被执行人", "judgment-defaulter listings", UP),
    "commitment_breached": ("违背信用承诺", "breached credit commitments", UP),
    "commitment_made": ("信用承诺", "credit commitments made", DOWN),
    "honor": ("表彰荣誉", "honours", DOWN),
}
_SEVERITY_ZH = {"minor": "轻微", "general": "一般", "serious": "严重"}


def _credit_events() -> list[FeatureDef]:
    s = "credit_events"
    return [
        *[
            _f(f"ce_{k}_count_12m", f"近12个月{zh}次数", f"{en} in 12 months", s, 12, d, False)
            for k, (zh, en, d) in _CREDIT_KINDS_ZH.items()
        ],
        *[
            _f(f"ce_{k}_count_36m", f"近36个月{zh}次数", f"{en} in 36 months", s, 36, d, False)
            for k, (zh, en, d) in _CREDIT_KINDS_ZH.items()
        ],
        *[
            _f(
                f"ce_negative_{sev}_count_36m",
                f"近36个月{zh}失信记录数",
                f"{sev} negative records in 36 months",
                s,
                36,
                UP,
                False,
            )
            for sev, zh in _SEVERITY_ZH.items()
        ],
        _f(
            "ce_active_unrepaired_total",
            "当前未修复失信记录数",
            "negative records in force, unrepaired",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_active_unrepaired_general",
            "当前未修复一般失信记录数",
            "general records in force, unrepaired",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_active_unrepaired_serious",
            "当前未修复严重失信记录数",
            "serious records in force, unrepaired",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_active_abnormal_operation",
            "当前在经营异常名录",
            "on the abnormal-operation list now",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_active_serious_dishonesty",
            "当前在严重失信名单",
            "on the serious-dishonesty list now",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_active_judgment_defaulter",
            "当前为失信被执行人",
            "a judgment defaulter now",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_months_since_last_negative",
            "距最近一次失信记录月数",
            "months since the latest negative record",
            s,
            None,
            DOWN,
            False,
        ),
        _f(
            "ce_repaired_count_36m",
            "近36个月已修复记录数",
            "records repaired in 36 months",
            s,
            36,
            DOWN,
            True,
        ),
        _f(
            "ce_display_days_left_max",
            "在公示记录剩余最长公示天数",
            "longest display time left of records in force",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_display_days_left_sum",
            "在公示记录剩余公示天数合计",
            "display time left of records in force, summed",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_repairable_now_count",
            "当前可申请修复的记录数",
            "records in force that can be repaired now",
            s,
            None,
            UP,
            True,
        ),
        _f(
            "ce_days_to_repairable_min",
            "距最早可修复日期天数",
            "days until the next record becomes repairable",
            s,
            None,
            NONE,
            False,
        ),
        _f(
            "ce_days_to_escalation_min",
            "经营异常距列入严重失信天数",
            "days until an uncured abnormal-operation listing turns serious",
            s,
            None,
            DOWN,
            True,
        ),
        _f(
            "ce_unrepaired_age_max_days",
            "最久未修复记录已公示天数",
            "age of the oldest record in force",
            s,
            None,
            UP,
            True,
        ),
    ]


INDUSTRY_SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}
# Fixed categories (GB/T 4754-2017 divisions) so every partition, panel and scoring call agrees.
INDUSTRIES = tuple(
    f"{section}{division:02d}"
    for section, (first, last) in INDUSTRY_SECTIONS.items()
    for division in range(first, last + 1)
)


def _registry() -> list[FeatureDef]:
    s = "registry"
    cat: FeatureKind = "categorical"
    return [
        _f("reg_zone", "所属园区", "zone", s, None, NONE, False, cat),
        _f("reg_industry", "国民经济行业(大类)", "industry division (GB/T 4754)", s, None, NONE, False, cat),
        _f("reg_industry_section", "国民经济行业门类", "industry section", s, None, NONE, False, cat),
        _f("reg_entity_type", "市场主体类型", "entity type", s, None, NONE, False, cat),
        _f("reg_age_months", "成立月数", "months since establishment", s, None, DOWN, False),
        _f("reg_registered_capital", "注册资本(万元)", "registered capital (10k CNY)", s, None, NONE, False),
        _f("reg_log_registered_capital", "注册资本对数", "log of registered capital", s, None, NONE, False),
        _f("reg_is_active", "登记状态为存续", "registration status is active", s, None, DOWN, False),
        _f("reg_status_changes", "登记状态变更次数", "registration status changes", s, None, UP, False),
        _f(
            "reg_months_since_status_change",
            "距最近一次状态变更月数",
            "months since the latest status change",
            s,
            None,
            NONE,
            False,
        ),
        _f("reg_is_young", "成立不满2年", "established less than 2 years ago", s, None, UP, False),
    ]


def _cross() -> list[FeatureDef]:
    s = "cross"
    return [
        _f(
            "x_tax_per_insured_12m",
            "近12个月人均增值税",
            "VAT payable per insured employee, 12 months",
            s,
            12,
            DOWN,
            False,
        ),
        _f(
            "x_sales_per_insured_12m",
            "近12个月人均销售额",
            "taxable sales per insured employee, 12 months",
            s,
            12,
            DOWN,
            False,
        ),
        _f(
            "x_electricity_per_insured_12m",
            "近12个月人均用电量",
            "electricity per insured employee, 12 months",
            s,
            12,
            NONE,
            False,
        ),
        _f(
            "x_contribution_per_insured_12m",
            "近12个月人均应缴社保费",
            "contributions due per insured employee",
            s,
            12,
            DOWN,
            True,
        ),
        _f(
            "x_base_per_insured_12m",
            "近12个月人均缴费基数",
            "contribution base per insured employee",
            s,
            12,
            DOWN,
            True,
        ),
        _f(
            "x_stat_employees_to_insured",
            "统计从业人数与参保人数之比",
            "statistics employees against insured headcount",
            s,
            12,
            NONE,
            True,
        ),
        _f(
            "x_stat_revenue_to_sales_4q",
            "统计营业收入与开票销售额之比",
            "statistics revenue against taxable sales",
            s,
            12,
            NONE,
            False,
        ),
        _f(
            "x_electricity_per_sales_12m",
            "近12个月单位销售额用电量",
            "electricity per unit of taxable sales",
            s,
            12,
            NONE,
            False,
        ),
        _f(
            "x_cit_to_sales_12m",
            "近12个月所得税预缴占销售额比例",
            "corporate income tax against sales",
            s,
            12,
            DOWN,
            False,
        ),
        _f("x_has_tax", "近12个月有税务记录", "has a tax record in 12 months", s, 12, DOWN, True),
        _f(
            "x_has_social_security",
            "近12个月有社保记录",
            "has a social-security record in 12 months",
            s,
            12,
            DOWN,
            True,
        ),
        _f(
            "x_has_utility", "近12个月有水电燃气记录", "has a utility record in 12 months", s, 12, DOWN, False
        ),
        _f(
            "x_sources_reported",
            "近12个月有记录的月度数据源数",
            "monthly sources with a record in 12 months",
            s,
            12,
            DOWN,
            False,
        ),
    ]


def _declarations() -> list[FeatureDef]:
    s = "declarations"
    return [
        _f(
            "decl_has_declaration_24m",
            "近24个月有企业自报数据",
            "declared figures (self-report, project application or survey) in 24 months",
            s,
            24,
            NONE,
            False,
        ),
        _f(
            "decl_channels_24m",
            "近24个月自报渠道数",
            "channels the enterprise declared through in 24 months",
            s,
            24,
            NONE,
            False,
        ),
        _f(
            "decl_months_since_last",
            "距最近一次自报的月数",
            "months since the latest declaration",
            s,
            None,
            NONE,
            False,
        ),
        _f(
            "decl_revenue_to_tax_sales",
            "自报营业收入与同年开票销售额之比",
            "declared revenue against the year's taxable sales",
            s,
            24,
            NONE,
            False,
        ),
        _f(
            "decl_revenue_overstatement",
            "自报营业收入超出同年开票销售额的比例",
            "share by which declared revenue exceeds the year's taxable sales",
            s,
            24,
            UP,
            True,
        ),
        _f(
            "decl_employees_to_insured",
            "自报从业人数与同年参保人数之比",
            "declared employees against the year's insured headcount",
            s,
            24,
            NONE,
            False,
        ),
        _f(
            "decl_rd_to_statistics",
            "自报研发投入与同年统计研发费用之比",
            "declared R&D expense against the year's R&D expense in statistics",
            s,
            24,
            NONE,
            False,
        ),
        _f(
            "decl_investment_to_revenue",
            "自报投资额与自报营业收入之比",
            "declared investment against declared revenue",
            s,
            24,
            NONE,
            False,
        ),
    ]


FEATURES: tuple[FeatureDef, ...] = (
    *_registry(),
    *_tax(),
    *_social_security(),
    *_utility(),
    *_statistics(),
    *_tax_grade(),
    *_ip(),
    *_credit_events(),
    *_cross(),
    *_declarations(),
)
FEATURES_BY_NAME: dict[str, FeatureDef] = {f.name: f for f in FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES_BY_NAME)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "reg_zone": ("teda", "bonded", "hitech", "dongjiang", "ecocity"),
    "reg_industry": INDUSTRIES,
    "reg_industry_section": tuple(INDUSTRY_SECTIONS),
    "reg_entity_type": ("1", "2", "3"),
    "tg_last_grade": tuple(GRADE_POINTS),
}


def definitions_version(features: tuple[FeatureDef, ...] | list[FeatureDef]) -> str:
    """Return a short hash of feature definitions: same definitions, same version."""
    payload = json.dumps([asdict(f) for f in features], ensure_ascii=False, sort_keys=True)
    payload += json.dumps({k: CATEGORIES[k] for k in sorted(CATEGORIES)})
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


FEATURE_SET_VERSION = definitions_version(FEATURES)


@dataclass(frozen=True)
class FeatureSet:
    """A named subset of features a model trains on; its version hashes the member definitions."""

    name: str
    features: tuple[str, ...]

    @property
    def definitions(self) -> tuple[FeatureDef, ...]:
        return tuple(FEATURES_BY_NAME[n] for n in self.features)

    @property
    def version(self) -> str:
        return f"{self.name}-{definitions_version(self.definitions)}"

    def monotone_constraints(self) -> list[int]:
        """Return LightGBM ``monotone_constraints`` (+1 raises the risk score, -1 lowers it)."""
        sign = {"increases_risk": 1, "decreases_risk": -1, "none": 0}
        return [sign[f.direction] if f.kind == "numeric" else 0 for f in self.definitions]


_ACTIVITY_PREFIXES = ("reg_", "tax_", "ss_", "util_", "stat_", "ip_", "x_")
FEATURE_SETS: dict[str, FeatureSet] = {
    "credit": FeatureSet("credit", FEATURE_NAMES),
    "repair": FeatureSet("repair", tuple(n for n in FEATURE_NAMES if not n.startswith("ip_"))),
    "activity": FeatureSet("activity", tuple(n for n in FEATURE_NAMES if n.startswith(_ACTIVITY_PREFIXES))),
}


def describe_features(feature_set: str | None = None) -> pd.DataFrame:
    """Return one row per feature (for ``zonecredit features describe`` and model cards)."""
    names = FEATURE_SETS[feature_set].features if feature_set else FEATURE_NAMES
    frame = pd.DataFrame([asdict(FEATURES_BY_NAME[n]) for n in names])
    frame.attrs["feature_set_version"] = (
        FEATURE_SETS[feature_set].version if feature_set else FEATURE_SET_VERSION
    )
    return frame

"""The nine raw sources of SPEC §2, declared once: columns, types, units, allowed values, keys.

Every reader, validator, generator and feature refers to these declarations; a government export
with Chinese headers maps onto them through each column's aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from data.vocabulary import (
    CREDIT_EVENT_KINDS,
    DECLARATION_CHANNELS,
    ENTITY_TYPES,
    IP_KINDS,
    REGISTRY_STATUSES,
    SEVERITIES,
    TAX_GRADES,
    ZONES,
)

Kind = Literal["code", "text", "date", "month", "quarter", "year", "int", "float", "bool", "choice"]
Grain = Literal["monthly", "quarterly", "yearly", "event", "history"]


@dataclass(frozen=True)
class Column:
    """One column of a source: its canonical name, type, unit, bounds and header aliases."""

    name: str
    kind: Kind
    description: str
    aliases: tuple[str, ...] = ()
    unit: str | None = None
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Source:
    """A raw source: its columns, the key that identifies a record, and how it is reported."""

    name: str
    title_zh: str
    grain: Grain
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str
    # Which column carries the record's own date (period start, event date, ...), if any.
    period_column: str | None = None
    extra_checks: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")


def _code() -> Column:
    return Column(
        "credit_code",
        "code",
        "Unified Social Credit Code (GB 32100-2015)",
        aliases=("统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号", "USCC"),
    )


def _reported_on() -> Column:
    return Column(
        "reported_on",
        "date",
        "Date the record became known to the platform; derived from the source's lag when absent",
        aliases=("报送日期", "上报日期", "入库日期"),
        required=False,
    )


def _source_record() -> Column:
    return Column(
        "source_record",
        "text",
        "Every cell of the source row as written, as JSON (national layouts; ID numbers masked)",
        ("原始记录",),
        required=False,
        nullable=True,
    )


def _money(name: str, description: str, aliases: tuple[str, ...], nullable: bool = False) -> Column:
    return Column(name, "float", description, aliases, unit="CNY", min_value=0.0, nullable=nullable)


REGISTRY = Source(
    name="registry",
    title_zh="工商登记",
    grain="history",
    description="Business registration, one row per status change of an enterprise",
    key=("credit_code", "status_changed_on"),
    period_column="status_changed_on",
    columns=(
        _code(),
        Column("name", "text", "Registered name", ("企业名称", "名称", "市场主体名称"), max_length=200),
        Column("zone", "choice", "Zone code (SPEC §1)", ("所属园区", "园区", "功能区"), choices=tuple(ZONES)),
        Column(
            "industry",
            "text",
            "GB/T 4754-2017 section letter + division, e.g. C36",
            ("行业代码", "国民经济行业", "所属行业"),
            max_length=3,
        ),
        Column(
            "entity_type",
            "choice",
            "1 enterprise, 2 individual business, 3 cooperative",
            ("主体类型", "市场主体类型"),
            choices=ENTITY_TYPES,
        ),
        Column(
            "registered_capital",
            "float",
            "Registered capital",
            ("注册资本", "注册资本(万元)"),
            unit="10k CNY",
            min_value=0.0,
        ),
        Column("established_on", "date", "Date of establishment", ("成立日期", "设立日期")),
        Column(
            "status", "choice", "Registration status", ("登记状态", "经营状态"), choices=REGISTRY_STATUSES
        ),
        Column("status_changed_on", "date", "Date the status took effect", ("状态变更日期", "变更日期")),
        Column(
            "legal_rep_id",
            "text",
            "Legal representative's ID number (personal data)",
            ("法定代表人证件号码", "法人证件号"),
            nullable=True,
            max_length=18,
        ),
        _reported_on(),
    ),
)

TAX = Source(
    name="tax",
    title_zh="税务",
    grain="monthly",
    description="Monthly VAT and corporate income tax filings with arrears",
    key=("credit_code", "period"),
    period_column="period",
    columns=(
        _code(),
        Column("period", "month", "Tax period (YYYY-MM)", ("所属期", "税款所属期", "所属月份")),
        _money("vat_sales", "VAT taxable sales", ("增值税应税销售额", "销售额")),
        _money("vat_payable", "VAT payable", ("增值税应纳税额", "应纳税额")),
        _money("cit_prepaid", "Corporate income tax prepaid", ("企业所得税预缴额", "所得税预缴")),
        Column("filed_on_time", "bool", "Return filed by the deadline", ("按期申报", "是否按期申报")),
        Column("zero_return", "bool", "Zero return filed", ("零申报", "是否零申报")),
        _money("arrears_balance", "Tax arrears outstanding", ("欠税余额", "欠税金额")),
        Column(
            "arrears_days",
            "int",
            "Days the oldest arrears are overdue",
            ("欠税天数",),
            unit="days",
            min_value=0,
            max_value=36_500,
        ),
        _reported_on(),
    ),
)

TAX_GRADE = Source(
    name="tax_grade",
    title_zh="纳税信用",
    grain="yearly",
    description="Tax credit grade, published each April for the previous year",
    key=("credit_code", "year"),
    period_column="year",
    columns=(
        _code(),
        Column("year", "year", "Assessment year", ("评价年度", "年度")),
        Column(
            "grade", "choice", "Tax credit grade", ("纳税信用等级", "信用等级", "等级"), choices=TAX_GRADES
        ),
        _reported_on(),
        _source_record(),
    ),
)

SOCIAL_SECURITY = Source(
    name="social_security",
    title_zh="社保",
    grain="monthly",
    description="Monthly social-insurance headcount, contributions and arrears",
    key=("credit_code", "period"),
    period_column="period",
    columns=(
        _code(),
        Column("period", "month", "Contribution period (YYYY-MM)", ("所属期", "缴费所属期", "费款所属期")),
        Column(
            "insured_headcount",
            "int",
            "Insured employees",
            ("参保人数", "在职参保人数"),
            unit="persons",
            min_value=0,
            max_value=1_000_000,
        ),
        _money("contribution_base", "Total contribution base", ("缴费基数", "缴费工资总额")),
        _money("due", "Contributions due", ("应缴金额", "应缴费额")),
        _money("paid", "Contributions paid", ("实缴金额", "实缴费额")),
        Column(
            "arrears_months",
            "int",
            "Months in arrears",
            ("欠费月数",),
            unit="months",
            min_value=0,
            max_value=600,
        ),
        _reported_on(),
    ),
)

UTILITY = Source(
    name="utility",
    title_zh="水电燃气",
    grain="monthly",
    description="Monthly electricity, water and gas consumption and billing",
    key=("credit_code", "period"),
    period_column="period",
    columns=(
        _code(),
        Column("period", "month", "Billing period (YYYY-MM)", ("所属期", "账期", "抄表月份")),
        Column(
            "electricity_kwh",
            "float",
            "Electricity consumed",
            ("用电量", "用电量(千瓦时)"),
            unit="kWh",
            min_value=0.0,
        ),
        Column("water_m3", "float", "Water consumed", ("用水量", "用水量(立方米)"), unit="m3", min_value=0.0),
        Column("gas_m3", "float", "Gas consumed", ("用气量", "用气量(立方米)"), unit="m3", min_value=0.0),
        _money("billed", "Amount billed", ("应缴费用", "账单金额")),
        _money("paid", "Amount paid", ("实缴费用", "缴费金额")),
        _money("arrears_balance", "Utility arrears outstanding", ("欠费余额", "欠费金额")),
        _reported_on(),
    ),
)

IP = Source(
    name="ip",
    title_zh="知识产权",
    grain="event",
    description="Intellectual-property events: applications, grants, pledges, lapses, penalties",
    key=("credit_code", "ip_id", "kind", "event_on"),
    period_column="event_on",
    columns=(
        _code(),
        Column(
            "ip_id",
            "text",
            "Application, patent or trademark number",
            ("申请号", "专利号", "注册号"),
            max_length=40,
        ),
        Column("event_on", "date", "Date of the event", ("事件日期", "日期", "公告日")),
        Column("kind", "choice", "Event kind", ("事件类型", "类型"), choices=IP_KINDS),
        Column(
            "amount",
            "float",
            "Pledge amount (pledges only)",
            ("质押金额", "金额"),
            unit="10k CNY",
            min_value=0.0,
            nullable=True,
        ),
        _reported_on(),
    ),
)

STATISTICS = Source(
    name="statistics",
    title_zh="统计",
    grain="quarterly",
    description="Quarterly statistics of above-scale enterprises (absence is information)",
    key=("credit_code", "period"),
    period_column="period",
    columns=(
        _code(),
        Column("period", "quarter", "Statistical quarter (YYYYQn)", ("统计期", "报告期", "所属季度")),
        Column("revenue", "float", "Operating revenue", ("营业收入",), unit="10k CNY", min_value=0.0),
        Column(
            "output_value",
            "float",
            "Gross industrial output",
            ("工业总产值", "总产值"),
            unit="10k CNY",
            min_value=0.0,
        ),
        Column("profit", "float", "Total profit (may be negative)", ("利润总额",), unit="10k CNY"),
        Column(
            "employees",
            "int",
            "Average employees",
            ("从业人员平均人数", "从业人数"),
            unit="persons",
            min_value=0,
            max_value=1_000_000,
        ),
        Column(
            "rd_expense", "float", "R&D expense", ("研发费用", "研究开发费用"), unit="10k CNY", min_value=0.0
        ),
        Column(
            "total_assets", "float", "Total assets", ("资产总计", "资产总额"), unit="10k CNY", min_value=0.0
        ),
        Column(
            "total_liabilities",
            "float",
            "Total liabilities",
            ("负债合计", "负债总额"),
            unit="10k CNY",
            min_value=0.0,
        ),
        _reported_on(),
    ),
)

CREDIT_EVENTS = Source(
    name="credit_events",
    title_zh="信用记录",
    grain="event",
    description="Credit records: penalties, lists, commitments and honours, with repair dates",
    key=("event_id",),
    period_column="occurred_on",
    columns=(
        Column("event_id", "text", "Record identifier", ("记录编号", "决定书文号", "编号"), max_length=64),
        _code(),
        Column("kind", "choice", "Record kind", ("记录类型", "类型"), choices=CREDIT_EVENT_KINDS),
        Column("severity", "choice", "Severity", ("严重程度", "失信程度"), choices=SEVERITIES),
        Column("occurred_on", "date", "Date of the act or decision", ("决定日期", "发生日期", "认定日期")),
        Column("published_on", "date", "Date published", ("公示日期", "公开日期"), nullable=True),
        Column(
            "repaired_on", "date", "Date credit was repaired", ("修复日期", "信用修复日期"), nullable=True
        ),
        Column(
            "removed_on",
            "date",
            "Date removed from the list or display",
            ("移出日期", "撤销日期"),
            nullable=True,
        ),
        Column("department", "text", "Deciding department", ("决定部门", "认定部门", "部门"), max_length=100),
        _reported_on(),
        _source_record(),
    ),
)

DECLARATIONS = Source(
    name="declarations",
    title_zh="自主填报/项目申报/专项调研",
    grain="yearly",
    description="Figures an enterprise states about a year (self-report, project application, survey)",
    key=("credit_code", "year", "channel"),
    period_column="year",
    columns=(
        _code(),
        Column("year", "year", "Year the figures describe", ("填报年度", "申报年度", "年度")),
        Column(
            "channel",
            "choice",
            "How the figures came: self_report, project_application or survey",
            ("填报渠道", "填报方式", "渠道"),
            choices=DECLARATION_CHANNELS,
        ),
        Column("declared_on", "date", "Date the enterprise submitted the figures", ("填报日期", "申报日期")),
        Column(
            "revenue",
            "float",
            "Declared operating revenue",
            ("营业收入", "申报营业收入"),
            unit="10k CNY",
            min_value=0.0,
        ),
        Column(
            "employees",
            "int",
            "Declared employees",
            ("从业人数", "职工人数", "员工人数"),
            unit="persons",
            min_value=0,
            max_value=1_000_000,
        ),
        Column(
            "rd_expense",
            "float",
            "Declared R&D expense",
            ("研发投入", "研发费用"),
            unit="10k CNY",
            min_value=0.0,
            nullable=True,
        ),
        Column(
            "investment",
            "float",
            "Declared investment (fixed assets, projects)",
            ("投资额", "固定资产投资"),
            unit="10k CNY",
            min_value=0.0,
            nullable=True,
        ),
        _reported_on(),
    ),
)

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (REGISTRY, TAX, TAX_GRADE, SOCIAL_SECURITY, UTILITY, IP, STATISTICS, CREDIT_EVENTS, DECLARATIONS)
}


def get_source(name: str) -> Source:
    """Return the contract of a source, or raise with the list of known sources."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}") from None


GRAIN_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def period_end(period_start: date, grain: Grain) -> date:
    """Return the last day of the period that starts on ``period_start``."""
    months = GRAIN_MONTHS.get(grain, 0)
    if not months:
        return period_start
    y, m = divmod(period_start.month - 1 + months, 12)
    return date(period_start.year + y, m + 1, 1) - timedelta(days=1)


def add_months(dates: pd.Series, months: int) -> pd.Series:
    """Return ``dates + pd.DateOffset(months=months)``, computed once per distinct date.

    pandas applies a month offset date by date (a second of every 10M-row ingest); a feed's
    periods take a few dozen distinct values per chunk.
    """
    codes, distinct = pd.factorize(dates)
    moved = pd.DatetimeIndex(distinct) + pd.DateOffset(months=months)
    return pd.Series(
        moved.take(codes, allow_fill=True, fill_value=np.datetime64("NaT")),
        index=dates.index,
        name=dates.name,
    )


def period_ends(starts: pd.Series, grain: Grain) -> pd.Series:
    """Return ``period_end`` of every period start in a column."""
    months = GRAIN_MONTHS.get(grain, 0)
    return add_months(starts, months) - pd.Timedelta(days=1) if months else starts


def derive_reported_on(source: Source, frame: pd.DataFrame) -> pd.Series:
    """Return the date each record became known, from the source's configured reporting lag.

    Used only where a feed lacks ``reported_on`` (SPEC §2): tax on the 15th of the next month,
    social security at the end of the next month, utility 10 days after the period, statistics
    20 days after the quarter, tax grades on 30 April of the next year; events when published
    (or when they occurred), declarations when submitted, registry changes on the day they took effect.
    """
    if source.name == "tax":
        return add_months(frame["period"], 1) + pd.Timedelta(days=14)
    if source.name == "social_security":
        return add_months(frame["period"], 2) - pd.Timedelta(days=1)
    if source.name == "utility":
        return add_months(frame["period"], 1) + pd.Timedelta(days=9)
    if source.name == "statistics":
        return add_months(frame["period"], 3) + pd.Timedelta(days=19)
    if source.name == "tax_grade":
        return add_months(
            pd.to_datetime((frame["year"].astype("int64") + 1).astype(str), format="%Y"), 3
        ) + pd.Timedelta(days=29)
    if source.name == "credit_events":
        return frame["published_on"].fillna(frame["occurred_on"])
    if source.name == "ip":
        return frame["event_on"]
    if source.name == "declarations":
        return frame["declared_on"]
    return frame["status_changed_on"]


# How each kind of column is held once loaded: dates and period starts as day timestamps.
_ARROW_TYPES = {
    "code": "string",
    "text": "string",
    "choice": "string",
    "date": "timestamp[s]",
    "month": "timestamp[s]",
    "quarter": "timestamp[s]",
    "year": "int16",
    "int": "int64",
    "float": "float64",
    "bool": "bool",
}
LINEAGE_COLUMNS = {"batch_id": "string", "row_number": "int64", "loaded_at": "timestamp[us]"}


def arrow_schema(source: Source):  # -> pa.Schema (pyarrow imported lazily for fast CLI start)
    """Return the Arrow schema of a loaded source: its columns in order, then lineage columns."""
    import pyarrow as pa

    def typ(name: str) -> pa.DataType:
        return pa.type_for_alias(name)

    fields = [pa.field(c.name, typ(_ARROW_TYPES[c.kind]), nullable=True) for c in source.columns]
    fields += [pa.field(n, typ(t)) for n, t in LINEAGE_COLUMNS.items()]
    return pa.schema(fields)


def empty_frame(source: Source) -> pd.DataFrame:
    """Return an empty frame with the loaded dtypes of ``source`` (for tests and factories)."""
    return arrow_schema(source).empty_table().to_pandas()

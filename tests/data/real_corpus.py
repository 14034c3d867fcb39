"""A corpus of exports shaped like what departments really send, and what ingesting each must give.

    uv run python -m tests.data.real_corpus OUT_DIR     # write the files to look at them

Layouts follow /work/shared/REFERENCES.md ("What real office exports look like" and the national
layouts): title rows, unit lines, merged two-row headers, 合计 rows and footnotes, units in headers,
万元 beside 元, empty markers, sentinel dates, codes a spreadsheet turned into numbers, bad bytes,
quoted line breaks, an old .xls, and each national layout. Every file comes with its expectation:
how many rows a person counts below the header, which rows load, which are quarantined and why,
which are skipped and why, and the stored value of every converted unit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.credit_code import generate_credit_codes
from data.national import PENALTY_HEADERS

CODES = generate_credit_codes(12, np.random.default_rng(16))
INDIVIDUAL = generate_credit_codes(1, np.random.default_rng(7), entity_types=["2"])[0]
COOPERATIVE = generate_credit_codes(1, np.random.default_rng(8), entity_types=["3"])[0]
A, B, C, D = CODES[:4]
RECEIVED_ON = date(2026, 11, 28)


@dataclass
class Expected:
    """What ingesting one corpus file must give."""

    file: str
    source: str
    status: str = "loaded"
    person_rows: int = 0  # rows below the header a person counts (records, totals, notes, blanks)
    quarantined: dict[int, str] = field(default_factory=dict)  # row -> reason code
    skipped: dict[int, str] = field(default_factory=dict)  # row -> a phrase of the reason
    stored: dict[str, list[object]] = field(default_factory=dict)  # column -> loaded values, by row
    message: str = ""  # a phrase of the rejection or of a quarantine reason
    layout: str | None = None  # the national layout recognised

    @property
    def loaded(self) -> int:
        return self.person_rows - len(self.quarantined) - len(self.skipped)


TAX_HEADERS = ["统一社会信用代码", "所属期", "增值税应税销售额", "增值税应纳税额", "企业所得税预缴额"]
TAX_HEADERS += ["按期申报", "零申报", "欠税余额", "欠税天数"]


def _xlsx(path: Path, rows: list[list[object]], merges: tuple[str, ...] = (), title: str = "Sheet1") -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    book.save(path)


def _xls(path: Path, rows: list[list[object]], title: str = "Sheet1") -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet(title)
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(path))


def _csv(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    path.write_bytes(newline.join(lines).encode(encoding) + newline.encode())


def tax_title_and_totals(out: Path) -> Expected:
    """An office report: title, unit line, blank row, header, records, a 合计 row, footnotes."""
    rows: list[list[object]] = [
        ["2025年1月重点企业纳税情况表"],
        ["单位：万元"],
        [],
        TAX_HEADERS,
        [A, "2025-01", 12.5, 1.625, 0.3, "是", "否", 0, 0],
        [B, "2025年1月", 8, 1.04, 0, "是", "否", "—", 0],
        [9.11201160000001e17, "2025-01", 5000, 650, 0, "是", "否", 0, 0],
        ["合计", None, 21.0, 2.73, 0.3],
        [],
        ["制表人：王芳", None, "审核人：李强"],
        ["制表日期：2025-02-10"],
        ["注：本表数据来源于区税务局征管系统。"],
    ]
    _xlsx(out / "tax_title_totals.xlsx", rows)
    return Expected(
        "tax_title_totals.xlsx",
        "tax",
        person_rows=8,
        quarantined={6: "missing_value", 7: "spreadsheet_mangled_code"},
        skipped={8: "合计", 9: "blank", 10: "footnote", 11: "footnote", 12: "footnote"},
        stored={"vat_sales": [125000.0], "vat_payable": [16250.0], "cit_prepaid": [3000.0]},
        message="was turned into a number by a spreadsheet",
    )


def tax_merged_header_wan_yuan(out: Path) -> Expected:
    """增值税 merged over 销售额 | 应纳税额, amounts in 万元 in the sub-headers: × 10,000."""
    rows: list[list[object]] = [
        ["2025年第一季度纳税申报汇总表"],
        [
            "统一社会信用代码",
            "所属期",
            "增值税",
            None,
            "企业所得税预缴额（万元）",
            "按期申报",
            "零申报",
            "欠税余额（万元）",
            "欠税天数",
        ],
        [None, None, "销售额（万元）", "应纳税额（万元）"],
        [C, "2025.01", 1.5, 0.195, 0.02, 1, 0, 0, 0],
        [C, "2025/2", 12.3456, 1.6049, 0, 1, 0, 0.5, 31],
        [C, "202503", 0, 0, 0, 1, 1, 0, 0],
        ["小计", None, 13.8456],
    ]
    merges = ("C2:D2", "A2:A3", "B2:B3", "E2:E3", "F2:F3", "G2:G3", "H2:H3", "I2:I3")
    _xlsx(out / "tax_merged_wan_yuan.xlsx", rows, merges)
    return Expected(
        "tax_merged_wan_yuan.xlsx",
        "tax",
        person_rows=4,
        skipped={7: "小计"},
        stored={
            "vat_sales": [15000.0, 123456.0, 0.0],
            "vat_payable": [1950.0, 16049.0, 0.0],
            "arrears_balance": [0.0, 5000.0, 0.0],
        },
    )


def tax_workbook_of_months(out: Path) -> Expected:
    """One sheet of notes, then a sheet per month (columns in another order in the second)."""
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "填报说明"
    notes.append(["说明：每月一张工作表，金额单位为元。"])
    january = book.create_sheet("1月")
    january.append(TAX_HEADERS)
    january.append([D, "2025-01", 100, 13, 0, 1, 0, 0, 0])
    february = book.create_sheet("2月")
    february.append(["所属期", "统一社会信用代码", *TAX_HEADERS[2:]])
    february.append(["2025-02", D, 200, 26, 0, 1, 0, 0, 0])
    february.append([])
    february.append(["合计", None, 200])
    book.save(out / "tax_months.xlsx")
    return Expected(
        "tax_months.xlsx",
        "tax",
        person_rows=4,
        skipped={3: "sheet 2月 blank row", 4: "sheet 2月 a 合计 row"},
        stored={"vat_sales": [100.0, 200.0]},
    )


def utility_units_xls(out: Path) -> Expected:
    """An old .xls from the grid company: units in every header, 元 and 万元 mixed, date cells."""
    rows: list[list[object]] = [
        ["用户用能情况月报"],
        [
            "统一社会信用代码",
            "账期",
            "用电量（千瓦时）",
            "用水量（吨）",
            "用气量（m³）",
            "应缴费用（元）",
            "实缴费用（元）",
            "欠费余额（万元）",
            "报送日期",
        ],
        [A, "2025-01", 1200.0, 35.0, 10.0, 980.4, 980.4, 0, date(2025, 2, 5)],
        [B, "2025-01", 56000.0, 410.0, 0, 45210.0, 40000.0, 0.521, date(2025, 2, 5)],
        [D, "2025-01", "暂无", 12.0, 0, 100.0, 100.0, 0, date(2025, 2, 5)],
        ["合  计", None, 57200.0],
    ]
    _xls(out / "utility_units.xls", rows)
    return Expected(
        "utility_units.xls",
        "utility",
        person_rows=4,
        quarantined={5: "missing_value"},
        skipped={6: "合计"},
        stored={
            "electricity_kwh": [1200.0, 56000.0],
            "water_m3": [35.0, 410.0],
            "arrears_balance": [0.0, 5210.0],
        },
    )


def utility_wrong_unit(out: Path) -> Expected:
    """Electricity in 吨 cannot be converted: the file is refused, naming the column and unit."""
    _csv(
        out / "utility_wrong_unit.csv",
        [
            "统一社会信用代码,账期,用电量（吨）,用水量,用气量,应缴费用,实缴费用,欠费余额",
            f"{A},2025-01,12,3,0,10,10,0",
        ],
    )
    return Expected(
        "utility_wrong_unit.csv",
        "utility",
        status="rejected",
        message="column electricity_kwh is in kWh; the file writes it in '吨'",
    )


def statistics_quarters_yuan(out: Path) -> Expected:
    """Quarters spelled three ways, revenue in 元 into a 万元 column (× 0.0001), GB18030."""
    _csv(
        out / "statistics_quarters.csv",
        [
            "统一社会信用代码,统计期,营业收入（元）,工业总产值（万元）,利润总额（万元）,从业人员平均人数（人）,"
            "研发费用（万元）,资产总计（亿元）,负债合计（万元）",
            f"{A},2025年第1季度,12345600,1500,120,85,30,1.25,4000",
            f"{A},2025年二季度,23456700,1600,-15,86,31,1.3,4100",
            f"{A},2025-Q3,34567800,1700,130,88,32,1.31,4200",
            f"{B},2025Q3,—,1700,130,88,32,1.31,4200",
        ],
        encoding="gb18030",
    )
    return Expected(
        "statistics_quarters.csv",
        "statistics",
        person_rows=4,
        quarantined={4: "missing_value"},
        stored={"revenue": [1234.56, 2345.67, 3456.78], "total_assets": [12500.0, 13000.0, 13100.0]},
    )


def credit_events_quoted_bad_bytes(out: Path) -> Expected:
    """RFC 4180 fields with commas, doubled quotes and CRLF line breaks; markers; sentinel dates;
    one record with bytes that are not GB18030, quarantined with the bytes escaped."""
    header = "记录编号,统一社会信用代码,记录类型,严重程度,决定日期,公示日期,修复日期,移出日期,决定部门"
    lines = [
        header,
        f'E-1,{A},admin_penalty,general,2024-03-01,2024-03-05,—,9999-12-31,"市场监管局,稽查支队"',
        f'E-2,{B},admin_penalty,minor,2024-04-01,无,暂无,2099-12-31,"税务局""第一""分局"',
        f'E-3,{C},abnormal_operation,general,2024-05-01,2024-05-02,,,"市场监管局\r\n（登记注册科）"',
    ]
    body = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    body += f"E-4,{D},honor,minor,2024-06-01,,,,".encode("gb18030") + b"\x81\x20\xff\r\n"
    body += f"E-5,{D},honor,minor,1900-01-01,,,,区政府\r\n".encode("gb18030")
    (out / "credit_events_quoted.csv").write_bytes(body)
    return Expected(
        "credit_events_quoted.csv",
        "credit_events",
        person_rows=5,
        quarantined={4: "bad_encoding", 5: "invalid_date"},
        stored={"department": ["市场监管局,稽查支队", '税务局"第一"分局', "市场监管局\r\n（登记注册科）"]},
        message="\\x81",
    )


def registry_as_registered(out: Path) -> Expected:
    """Registration vocabulary, a four-digit class, codes lower-cased, spaced and apostrophed,
    trailing commas that leave empty header cells."""
    lower = A.lower()
    spaced = f"{B[:6]} {B[6:12]} {B[12:]}"
    lines = [
        "统一社会信用代码,企业名称,所属园区,所属行业,市场主体类型,注册资本(万元),成立日期,登记状态,状态变更日期,法定代表人证件号码,,",
        f"{lower},天津甲科技有限公司,经开区,C3670,有限责任公司（自然人投资或控股）,500,2015-3-9,"
        "存续（在营、开业、在册）,2015-03-09,—,,",
        f"{spaced},天津乙制药股份有限公司,高新区,C27,股份有限公司(非上市),8000,2010-01-01,"
        '"吊销，未注销",2024-06-30,/,,',
        f"'{INDIVIDUAL},滨海丙便利店,生态城,F52,个体工商户,5,2019-05-05,注销,2023-01-01,,,",
        f"{COOPERATIVE},天津丁农机专业合作社,东疆,A05,农民专业合作社,30,2020-09-09,在营,2020-09-09,,,",
    ]
    _csv(out / "registry_vocabulary.csv", lines)
    return Expected(
        "registry_vocabulary.csv",
        "registry",
        person_rows=4,
        stored={
            "credit_code": [A, B, INDIVIDUAL, COOPERATIVE],
            "industry": ["C36", "C27", "F52", "A05"],
            "entity_type": ["1", "1", "2", "3"],
            "status": ["active", "revoked", "deregistered", "active"],
        },
    )


def _penalty(name: str, kind: str, code: str, number: str, category: str, fine: float, decided: date) -> list:
    row: list[object] = [name, kind, code, "", "", "", "", "", "张三" if code else "", "身份证"]
    row += [
        "120101********1234",
        "",
        "",
        number,
        "违反产品质量法",
        "生产销售不合格产品",
        "《产品质量法》第四十九条",
    ]
    row += [category, f"{category}{fine}万元", fine, 0, "", decided, date(2099, 12, 31), date(2025, 12, 31)]
    row += ["天津市滨海新区市场监督管理局", "11120116MB0000000X", "区市场监管局", "11120116MB0000000X", ""]
    return row


def penalties_xls(out: Path) -> Expected:
    """The 双公示 penalty template as an .xls with a title row; a natural person among them."""
    rows: list[list[object]] = [["行政处罚信息（双公示）"], PENALTY_HEADERS]
    rows.append(
        _penalty(
            "天津甲科技有限公司", "法人及非法人组织", A, "津滨市监罚〔2025〕1号", "警告", 0, date(2025, 3, 1)
        )
    )
    rows.append(
        _penalty(
            "天津乙制药股份有限公司",
            "法人及非法人组织",
            B,
            "津滨市监罚〔2025〕2号",
            "罚款",
            5,
            date(2025, 3, 2),
        )
    )
    rows.append(
        _penalty(
            "天津丙公司",
            "法人及非法人组织",
            C,
            "津滨市监罚〔2025〕3号",
            "罚款,吊销许可证件",
            2,
            date(2025, 3, 3),
        )
    )
    rows.append(_penalty("李四", "自然人", "", "津滨市监罚〔2025〕4号", "罚款", 0.1, date(2025, 3, 4)))
    _xls(out / "penalties_shuanggongshi.xls", rows, title="行政处罚")
    return Expected(
        "penalties_shuanggongshi.xls",
        "credit_events",
        person_rows=4,
        quarantined={6: "natural_person"},
        stored={
            "kind": ["admin_penalty"] * 3,
            "severity": ["minor", "general", "serious"],
            "event_id": ["津滨市监罚〔2025〕1号", "津滨市监罚〔2025〕2号", "津滨市监罚〔2025〕3号"],
            "removed_on": [pd.Timestamp("2025-12-31")] * 3,
        },
        layout="双公示 行政处罚",
    )


def abnormal_list_xlsx(out: Path) -> Expected:
    rows: list[list[object]] = [
        [
            "统一社会信用代码",
            "企业名称",
            "列入日期",
            "列入经营异常名录原因",
            "作出决定机关(列入)",
            "移出日期",
            "移出经营异常名录原因",
            "作出决定机关(移出)",
        ],
        [
            A,
            "天津甲科技有限公司",
            date(2024, 5, 6),
            "通过登记的住所或者经营场所无法联系的",
            "区市场监管局",
            None,
            None,
            None,
        ],
        [
            B,
            "天津乙制药股份有限公司",
            date(2023, 7, 1),
            "未按规定公示年度报告",
            "区市场监管局",
            date(2024, 1, 9),
            "补报未报年份的年度报告并公示",
            "区市场监管局",
        ],
    ]
    _xlsx(out / "abnormal_operation_list.xlsx", rows)
    return Expected(
        "abnormal_operation_list.xlsx",
        "credit_events",
        person_rows=2,
        stored={
            "kind": ["abnormal_operation"] * 2,
            "event_id": [f"abnormal_operation:{A}:2024-05-06", f"abnormal_operation:{B}:2023-07-01"],
        },
        layout="经营异常名录",
    )


def serious_list_csv(out: Path) -> Expected:
    _csv(
        out / "serious_dishonesty_list.csv",
        [
            "统一社会信用代码,企业名称,列入日期,列入原因,决定机关,移出日期,移出原因,决定机关(移出)",
            f"{C},天津丙公司,2024-08-08,被列入经营异常名录届满3年仍未履行相关义务的,天津市市场监督管理委员会,,,",
        ],
    )
    return Expected(
        "serious_dishonesty_list.csv",
        "credit_events",
        person_rows=1,
        stored={"kind": ["serious_dishonesty"], "severity": ["serious"]},
        layout="严重违法失信名单",
    )


def defaulters_csv(out: Path) -> Expected:
    header = ",".join(
        [
            "被执行人姓名/名称",
            "身份证号码/组织机构代码",
            "法定代表人或者负责人姓名",
            "执行法院",
            "执行依据文号",
            "立案时间",
            "案号",
            "做出执行依据单位",
            "生效法律文书确定的义务",
            "被执行人的履行情况",
            "发布时间",
            "已履行部分",
            "未履行部分",
            "失信被执行人行为具体情形",
        ]
    )
    _csv(
        out / "judgment_defaulters.csv",
        [
            header,
            f"天津丁农机专业合作社,{D},赵六,天津市滨海新区人民法院,（2023）津0116民初1号,2023-10-10,"
            "（2024）津0116执1号,天津市滨海新区人民法院,给付货款12万元,全部未履行,2024-03-15,,12万元,"
            "有履行能力而拒不履行生效法律文书确定义务",
            "王五,330222********1234,,天津市滨海新区人民法院,（2023）津0116民初2号,2023-11-11,"
            "（2024）津0116执2号,天津市滨海新区人民法院,给付借款,全部未履行,2024-04-01,,5万元,违反财产报告制度",
        ],
    )
    return Expected(
        "judgment_defaulters.csv",
        "credit_events",
        person_rows=2,
        quarantined={2: "natural_person"},
        stored={"event_id": ["（2024）津0116执1号"], "department": ["天津市滨海新区人民法院"]},
        layout="失信被执行人",
    )


def tax_a_list_xlsx(out: Path) -> Expected:
    rows: list[list[object]] = [
        ["2024年度纳税信用A级纳税人名单"],
        ["序号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级", "评价单位", "评定时间"],
        [
            1,
            A,
            "天津甲科技有限公司",
            "2024年度",
            "A级",
            "国家税务总局天津市滨海新区税务局",
            date(2025, 4, 20),
        ],
        [2, B, "天津乙制药股份有限公司", 2024, "A", "国家税务总局天津市滨海新区税务局", date(2025, 4, 20)],
    ]
    _xlsx(out / "tax_credit_a_list.xlsx", rows, title="A级名单")
    return Expected(
        "tax_credit_a_list.xlsx",
        "tax_grade",
        person_rows=2,
        stored={"grade": ["A", "A"], "year": [2024, 2024]},
        layout="纳税信用 A/D 级名单",
    )


BUILDERS: tuple[Callable[[Path], Expected], ...] = (
    tax_title_and_totals,
    tax_merged_header_wan_yuan,
    tax_workbook_of_months,
    utility_units_xls,
    utility_wrong_unit,
    statistics_quarters_yuan,
    credit_events_quoted_bad_bytes,
    registry_as_registered,
    penalties_xls,
    abnormal_list_xlsx,
    serious_list_csv,
    defaulters_csv,
    tax_a_list_xlsx,
)


def write_corpus(out: Path) -> dict[str, Expected]:
    """Write every corpus file into ``out``; return the expectations by builder name."""
    out.mkdir(parents=True, exist_ok=True)
    return {build.__name__: build(out) for build in BUILDERS}


if __name__ == "__main__":
    for expected in write_corpus(Path(sys.argv[1])).values():
        print(expected.file, expected.source, expected.status)

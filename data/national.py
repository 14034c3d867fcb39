"""National public-credit layouts, recognised by their headers and mapped onto our sources.

The layouts (REFERENCES.md, "Layouts of real public-credit exports"; the 双公示 national data
standard template and the public lists) are:

| layout | recognised by | source, kind | severity |
|---|---|---|---|
| 双公示 行政处罚 | 行政相对人名称, 处罚类别, 处罚决定日期 | credit_events, admin_penalty | rules below |
| 经营异常名录 | 列入经营异常名录原因, 列入日期 | credit_events, abnormal_operation | general |
| 严重违法失信名单 | 列入原因, 列入日期, 决定机关 | credit_events, serious_dishonesty | serious |
| 失信被执行人 | 案号, 执行法院 | credit_events, judgment_defaulter | serious |
| 纳税信用 A/D 级名单 | 纳税人名称, 评价年度, 信用等级 | tax_grade | — |

Mapping rules, one per column, so a record can be traced back to its source cells:
- ``credit_code``: 行政相对人代码_1(统一社会信用代码) / 统一社会信用代码 / 身份证号码/组织机构代码 /
  纳税人识别号. ``event_id``: the decision number (行政处罚决定书文号) or the case number (案号);
  the lists have none, so it is ``<kind>:<credit code>:<listing date>``, stable across exports.
- Penalty severity: ``serious`` if 处罚类别 names 吊销, 责令关闭, 责令停产停业, 限制开展生产经营活动,
  限制从业 or 降低资质等级, or fine plus confiscation reach 100 万元; ``minor`` if it is only 警告 /
  通报批评, or a fine under 0.3 万元 (the 3,000 元 of the simplified procedure for organisations)
  and nothing else; ``general`` otherwise. The amounts are in 万元, as the standard's headers say.
- Dates: occurred_on the decision, listing or publication date; published_on the listing or
  publication date where the layout has one; removed_on 公示截止期 (penalties: the end of display)
  or 移出日期 (lists). department: 处罚机关, 作出决定机关(列入), 决定机关, 执行法院.
- Subjects that are natural persons (行政相对人类别 自然人, an ID-card number, a masked number
  such as ``330222********``) are quarantined as ``natural_person``: enterprise credit records only.
- Every cell of the source row is kept, as JSON in ``source_record``; ID-card numbers in it are
  masked to their first six characters.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data.credit_code import valid_mask

NATURAL_PERSON = "natural_person"
# The 双公示 administrative-penalty template's columns, in order (REFERENCES.md)
PENALTY_HEADERS = [
    "行政相对人名称",
    "行政相对人类别",
    "行政相对人代码_1(统一社会信用代码)",
    "行政相对人代码_2(工商注册号)",
    "行政相对人代码_3(组织机构代码)",
    "行政相对人代码_4(税务登记号)",
    "行政相对人代码_5(事业单位证书号)",
    "行政相对人代码_6(社会组织登记证号)",
    "法定代表人",
    "法定代表人证件类型",
    "法定代表人证件号码",
    "证件类型",
    "证件号码",
    "行政处罚决定书文号",
    "违法行为类型",
    "违法事实",
    "处罚依据",
    "处罚类别",
    "处罚内容",
    "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）",
    "暂扣或吊销证照名称及编号",
    "处罚决定日期",
    "处罚有效期",
    "公示截止期",
    "处罚机关",
    "处罚机关统一社会信用代码",
    "数据来源单位",
    "数据来源单位统一社会信用代码",
    "备注",
]
SERIOUS_PENALTIES = ("吊销", "责令关闭", "责令停产停业", "限制开展生产经营活动", "限制从业", "降低资质等级")
MINOR_PENALTIES = ("警告", "通报批评")
SERIOUS_AMOUNT_10K = 100.0
MINOR_AMOUNT_10K = 0.3
_PERSONAL_ID_HEADER = re.compile(r"证件号码|身份证")
_ID_NUMBER = re.compile(r"^\d{6}[\d*]{8,11}[\dXx*]$|^\d{15}$")


def normalized(header: str) -> str:
    """A header as layouts compare it: NFKC, no spaces, no brackets' width differences."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header))


@dataclass(frozen=True)
class Converted:
    """A chunk in contract columns, and which of its rows are natural persons (quarantined)."""

    columns: dict[str, list[str]]
    natural_person: np.ndarray


@dataclass(frozen=True)
class NationalLayout:
    """One national export layout: how to recognise it and how to map a chunk of it."""

    name: str
    title_zh: str
    source: str
    signature: tuple[str, ...]  # headers (normalised) that must all be present
    convert: Callable[[dict[str, list[str]]], Converted]

    def matches(self, headers: Sequence[str]) -> bool:
        present = {normalized(h) for h in headers}
        return all(any(s == h or h.startswith(s) for h in present) for s in self.signature)


def _find(cells: dict[str, list[str]], *names: str) -> list[str]:
    """The column of the first header that is, or starts with, one of ``names`` (else empties)."""
    n = len(next(iter(cells.values()), []))
    by_norm = {normalized(h): h for h in cells}
    for name in names:
        key = normalized(name)
        for norm, header in by_norm.items():
            if norm == key or norm.startswith(key):
                return cells[header]
    return [""] * n


def _number(text: str) -> float:
    try:
        return float(text.replace(",", "")) if text.strip() else 0.0
    except ValueError:
        return 0.0


def penalty_severity(category: str, fine_10k: str, confiscated_10k: str) -> str:
    """Severity of a 双公示 penalty from its 处罚类别 and amounts in 万元 (rules above)."""
    amount = _number(fine_10k) + _number(confiscated_10k)
    if any(word in category for word in SERIOUS_PENALTIES) or amount >= SERIOUS_AMOUNT_10K:
        return "serious"
    parts = [p for p in re.split(r"[,，;；、/\s]+", category) if p]
    if parts and all(p in MINOR_PENALTIES for p in parts):
        return "minor"
    if parts == ["罚款"] and 0 < amount < MINOR_AMOUNT_10K:
        return "minor"
    return "general"


def _is_person(code: str, category: str = "", name: str = "") -> bool:
    code = code.strip()
    if "自然人" in category:
        return True
    if "*" in code or (
        _ID_NUMBER.match(code) and not valid_mask(np.asarray([code.upper()], dtype=object))[0]
    ):
        return True
    return not code and bool(re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", name.strip()))


def _persons(
    codes: list[str], categories: list[str] | None = None, names: list[str] | None = None
) -> np.ndarray:
    n = len(codes)
    categories = categories or [""] * n
    names = names or [""] * n
    return np.array(
        [_is_person(c, k, m) for c, k, m in zip(codes, categories, names, strict=True)], dtype=bool
    )


def _listing_id(kind: str, codes: list[str], dates: list[str]) -> list[str]:
    return [
        f"{kind}:{c.strip().upper()}:{d.strip()}" if c.strip() else ""
        for c, d in zip(codes, dates, strict=True)
    ]


def _convert_penalties(cells: dict[str, list[str]]) -> Converted:
    codes = _find(cells, "行政相对人代码_1", "统一社会信用代码")
    categories = _find(cells, "处罚类别")
    fines = _find(cells, "罚款金额")
    confiscated = _find(cells, "没收违法所得、没收非法财物的金额", "没收违法所得")
    decided = _find(cells, "处罚决定日期")
    return Converted(
        {
            "event_id": _find(cells, "行政处罚决定书文号"),
            "credit_code": codes,
            "kind": ["admin_penalty"] * len(codes),
            "severity": [penalty_severity(*t) for t in zip(categories, fines, confiscated, strict=True)],
            "occurred_on": decided,
            "published_on": [""] * len(codes),
            "repaired_on": [""] * len(codes),
            "removed_on": _find(cells, "公示截止期"),
            "department": _find(cells, "处罚机关"),
        },
        _persons(codes, _find(cells, "行政相对人类别"), _find(cells, "行政相对人名称")),
    )


def _convert_list(
    kind: str, severity: str, department: tuple[str, ...]
) -> Callable[[dict[str, list[str]]], Converted]:
    def convert(cells: dict[str, list[str]]) -> Converted:
        codes = _find(cells, "统一社会信用代码", "社会信用代码", "注册号")
        listed = _find(cells, "列入日期", "列入时间", "认定日期")
        return Converted(
            {
                "event_id": _listing_id(kind, codes, listed),
                "credit_code": codes,
                "kind": [kind] * len(codes),
                "severity": [severity] * len(codes),
                "occurred_on": listed,
                "published_on": listed,
                "repaired_on": [""] * len(codes),
                "removed_on": _find(cells, "移出日期", "移出时间"),
                "department": _find(cells, *department),
            },
            _persons(codes, names=_find(cells, "企业名称", "名称")),
        )

    return convert


def _convert_defaulters(cells: dict[str, list[str]]) -> Converted:
    codes = _find(cells, "身份证号码/组织机构代码", "统一社会信用代码", "组织机构代码", "证件号码")
    published = _find(cells, "发布时间", "发布日期")
    return Converted(
        {
            "event_id": _find(cells, "案号"),
            "credit_code": codes,
            "kind": ["judgment_defaulter"] * len(codes),
            "severity": ["serious"] * len(codes),
            "occurred_on": published,
            "published_on": published,
            "repaired_on": [""] * len(codes),
            "removed_on": [""] * len(codes),
            "department": _find(cells, "执行法院"),
        },
        _persons(codes, names=_find(cells, "被执行人姓名/名称", "被执行人姓名", "被执行人名称")),
    )


def _convert_tax_list(cells: dict[str, list[str]]) -> Converted:
    codes = _find(cells, "纳税人识别号", "统一社会信用代码", "纳税人识别号/统一社会信用代码")
    return Converted(
        {
            "credit_code": codes,
            "year": [re.sub(r"[年度\s]", "", y) for y in _find(cells, "评价年度", "年度")],
            "grade": [g.strip().removesuffix("级").upper() for g in _find(cells, "纳税信用等级", "信用等级")],
            "reported_on": _find(cells, "评定时间", "发布时间", "发布日期"),
        },
        _persons(codes, names=_find(cells, "纳税人名称")),
    )


LAYOUTS: tuple[NationalLayout, ...] = (
    NationalLayout(
        "admin_penalty",
        "双公示 行政处罚",
        "credit_events",
        ("行政相对人名称", "处罚类别", "处罚决定日期"),
        _convert_penalties,
    ),
    NationalLayout(
        "abnormal_operation",
        "经营异常名录",
        "credit_events",
        ("列入经营异常名录原因", "列入日期"),
        _convert_list("abnormal_operation", "general", ("作出决定机关(列入)", "作出决定机关", "决定机关")),
    ),
    NationalLayout(
        "serious_dishonesty",
        "严重违法失信名单",
        "credit_events",
        ("列入严重违法失信", "列入日期"),
        _convert_list("serious_dishonesty", "serious", ("决定机关(列入)", "作出决定机关(列入)", "决定机关")),
    ),
    NationalLayout(
        "serious_dishonesty_short",
        "严重违法失信名单",
        "credit_events",
        ("列入原因", "列入日期", "决定机关"),
        _convert_list("serious_dishonesty", "serious", ("决定机关(列入)", "作出决定机关(列入)", "决定机关")),
    ),
    NationalLayout(
        "judgment_defaulter",
        "失信被执行人",
        "credit_events",
        ("案号", "执行法院"),
        _convert_defaulters,
    ),
    NationalLayout(
        "tax_credit_list",
        "纳税信用 A/D 级名单",
        "tax_grade",
        ("纳税人名称", "评价年度", "信用等级"),
        _convert_tax_list,
    ),
)


def detect(source_name: str, headers: Sequence[str]) -> NationalLayout | None:
    """Return the national layout of ``source_name`` these headers are, if any (most specific first)."""
    return next((x for x in LAYOUTS if x.source == source_name and x.matches(headers)), None)


def signature_matches(source_name: str, headers: Sequence[str]) -> int:
    """How many headers belong to a national layout of the source (to find the header row)."""
    wanted = {s for x in LAYOUTS if x.source == source_name for s in x.signature}
    return sum(1 for h in headers if h and any(normalized(h).startswith(s) for s in wanted))


def _masked(header: str, value: str) -> str:
    if _PERSONAL_ID_HEADER.search(header) and len(value.strip()) > 6:
        return value.strip()[:6] + "*" * (len(value.strip()) - 6)
    return value


def convert_chunk(
    layout: NationalLayout, columns: dict[str, pa.Array]
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Map a chunk of a national layout (text columns by header) into contract columns.

    Returns the columns, ``source_record`` (every source cell as JSON) among them, and the mask
    of rows whose subject is a natural person.
    """
    cells = {h: [v or "" for v in a.to_pylist()] for h, a in columns.items()}
    converted = layout.convert(cells)
    n = len(converted.natural_person)
    headers = list(cells)
    records = [
        json.dumps({h: _masked(h, cells[h][i]) for h in headers}, ensure_ascii=False) for i in range(n)
    ]
    out = {name: pa.array(values, pa.string()) for name, values in converted.columns.items()}
    out["source_record"] = pa.array(records, pa.string())
    return out, converted.natural_person

"""The world's credit records and tax grades written as the national layouts (``--format national``).

After the standard files are written, the records that a national export can carry are moved into
files of those layouts (``data.national``), so tests and the demo ingest them the way a zone
receives them: 双公示 penalties as an .xlsx with a title row, the 经营异常名录, the 严重违法失信名单 and
失信被执行人 as GB18030 CSV, the published 纳税信用 A/D lists as .xlsx. A record a layout cannot carry
(a repair date; a removal the 失信被执行人 list has no column for; B/M/C grades, which are not
published) stays in the standard file. Injected faults follow their rows, and ``truth/mess.csv``
is rewritten with their new files and row numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data.contracts import get_source
from data.national import PENALTY_HEADERS
from data.synth.writer import ENCODING

# 处罚类别 and fine (万元) chosen so the mapping rules of data.national give back the severity
PENALTY_BY_SEVERITY = {"minor": ("警告", (0.0, 0.0)), "general": ("罚款", (0.5, 50.0))}
PENALTY_BY_SEVERITY["serious"] = ("罚款,责令停产停业", (5.0, 200.0))
ABNORMAL_CAUSES = ("通过登记的住所或者经营场所无法联系的", "未按规定公示年度报告")
Moves = dict[tuple[str, int], tuple[str, int]]  # (old file, row) -> (new file, row)


def write_national(out: Path, rng: np.random.Generator) -> Moves:
    """Move credit records and A/D grades into national-layout files; return where rows went."""
    names = _names(out)
    moves: Moves = {}
    moves.update(_credit_events(out, names, rng))
    moves.update(_tax_grades(out, names))
    return moves


def rewrite_mess(path: Path, moves: Moves) -> list[tuple[str, str, int, str]]:
    """Rewrite ``truth/mess.csv`` with the new file and row of every moved fault; return its rows."""
    with path.open(newline="") as handle:
        old = [
            (r["source"], r["file"], int(r["row_number"]), r["reason_code"]) for r in csv.DictReader(handle)
        ]
    rows = [(source, *moves.get((file, row), (file, row)), reason) for source, file, row, reason in old]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "file", "row_number", "reason_code"])
        writer.writerows(rows)
    return rows


def _names(out: Path) -> dict[str, str]:
    """Registered name of every enterprise, from the registry file (the latest spelling)."""
    registry = get_source("registry")
    headers = {registry.column(c).aliases[0]: c for c in ("credit_code", "name")}
    frame = pd.read_csv(
        out / "sources" / "registry" / "registry.csv",
        encoding=ENCODING,
        dtype=str,
        keep_default_na=False,
        usecols=list(headers),
    ).rename(columns=headers)
    return dict(zip(frame["credit_code"], frame["name"], strict=True))


def _credit_events(out: Path, names: dict[str, str], rng: np.random.Generator) -> Moves:
    source = get_source("credit_events")
    folder = out / "sources" / "credit_events"
    standard = folder / "credit_events.csv"
    headers = {source.column(c).aliases[0]: c for c in source.column_names if c != "source_record"}
    frame = pd.read_csv(standard, encoding=ENCODING, dtype=str, keep_default_na=False).rename(columns=headers)
    frame["_row"] = np.arange(1, len(frame) + 1)
    kind, repaired, removed = frame["kind"], frame["repaired_on"] != "", frame["removed_on"] != ""
    groups = {
        "penalties.xlsx": frame[(kind == "admin_penalty") & ~repaired],
        "abnormal_operation.csv": frame[(kind == "abnormal_operation") & ~repaired],
        "serious_dishonesty.csv": frame[(kind == "serious_dishonesty") & ~repaired],
        "judgment_defaulters.csv": frame[(kind == "judgment_defaulter") & ~repaired & ~removed],
    }
    moved = pd.concat(list(groups.values()))
    rest = frame[~frame["_row"].isin(moved["_row"])]
    moves: Moves = {}

    def note(new_file: str, rows: pd.Series, first: int) -> None:
        for position, old in enumerate(rows.tolist()):
            moves[(_relative(out, standard), int(old))] = (
                f"sources/credit_events/{new_file}",
                first + position,
            )

    note("credit_events.csv", rest["_row"], 1)
    _standard_csv(standard, rest.drop(columns="_row"), {v: k for k, v in headers.items()})
    penalties = groups["penalties.xlsx"]
    _xlsx(
        folder / "penalties.xlsx",
        "行政处罚信息（双公示）",
        PENALTY_HEADERS,
        _penalty_rows(penalties, names, rng),
    )
    note("penalties.xlsx", penalties["_row"], 3)  # title row, header row
    for file, table in [
        ("abnormal_operation.csv", _abnormal_rows(groups["abnormal_operation.csv"], names, rng)),
        ("serious_dishonesty.csv", _serious_rows(groups["serious_dishonesty.csv"], names)),
        ("judgment_defaulters.csv", _defaulter_rows(groups["judgment_defaulters.csv"], names)),
    ]:
        table.to_csv(folder / file, index=False, encoding=ENCODING)
        note(file, groups[file]["_row"], 1)
    return moves


def _relative(out: Path, path: Path) -> str:
    return path.relative_to(out).as_posix()


def _standard_csv(path: Path, frame: pd.DataFrame, chinese: dict[str, str]) -> None:
    frame.rename(columns=chinese).to_csv(path, index=False, encoding=ENCODING)


def _penalty_rows(frame: pd.DataFrame, names: dict[str, str], rng: np.random.Generator) -> list[list[object]]:
    rows: list[list[object]] = []
    for record in frame.itertuples(index=False):
        code, severity = str(record.credit_code), str(record.severity)
        category, (low, high) = PENALTY_BY_SEVERITY.get(severity, PENALTY_BY_SEVERITY["general"])
        fine = 0.0 if severity == "minor" else round(float(rng.uniform(low, high)), 2)
        rows.append(
            [
                names.get(code, "") or f"企业{code[-6:]}",
                "法人及非法人组织",
                code,
                *[""] * 5,
                "",
                "身份证",
                "",
                "",
                "",
                record.event_id,
                "违反市场监督管理法规",
                "经查实存在违法行为",
                "《中华人民共和国行政处罚法》",
                category,
                f"{category}，罚款{fine}万元" if fine else category,
                fine,
                0,
                "",
                record.occurred_on,
                "",
                record.removed_on,
                record.department,
                "",
                record.department,
                "",
                "",
            ]
        )
    return rows


def _abnormal_rows(frame: pd.DataFrame, names: dict[str, str], rng: np.random.Generator) -> pd.DataFrame:
    causes = np.asarray(ABNORMAL_CAUSES)[rng.integers(0, len(ABNORMAL_CAUSES), len(frame))]
    return pd.DataFrame(
        {
            "统一社会信用代码": frame["credit_code"].to_numpy(),
            "企业名称": [names.get(c, "") for c in frame["credit_code"]],
            "列入日期": frame["occurred_on"].to_numpy(),
            "列入经营异常名录原因": causes,
            "作出决定机关(列入)": frame["department"].to_numpy(),
            "移出日期": frame["removed_on"].to_numpy(),
            "移出经营异常名录原因": np.where(frame["removed_on"] != "", "已履行相关义务，申请移出", ""),
            "作出决定机关(移出)": np.where(frame["removed_on"] != "", frame["department"], ""),
        }
    )


def _serious_rows(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    removed = frame["removed_on"] != ""
    return pd.DataFrame(
        {
            "统一社会信用代码": frame["credit_code"].to_numpy(),
            "企业名称": [names.get(c, "") for c in frame["credit_code"]],
            "列入日期": frame["occurred_on"].to_numpy(),
            "列入原因": "被列入经营异常名录届满3年仍未履行相关义务的",
            "决定机关": frame["department"].to_numpy(),
            "移出日期": frame["removed_on"].to_numpy(),
            "移出原因": np.where(removed, "信用修复", ""),
            "决定机关(移出)": np.where(removed, frame["department"], ""),
        }
    )


def _defaulter_rows(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "被执行人姓名/名称": [names.get(c, "") for c in frame["credit_code"]],
            "身份证号码/组织机构代码": frame["credit_code"].to_numpy(),
            "法定代表人或者负责人姓名": "",
            "执行法院": frame["department"].to_numpy(),
            "执行依据文号": "",
            "立案时间": frame["occurred_on"].to_numpy(),
            "案号": frame["event_id"].to_numpy(),
            "做出执行依据单位": frame["department"].to_numpy(),
            "生效法律文书确定的义务": "给付义务",
            "被执行人的履行情况": "全部未履行",
            "发布时间": frame["occurred_on"].to_numpy(),
            "已履行部分": "",
            "未履行部分": "",
            "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
        }
    )


def _tax_grades(out: Path, names: dict[str, str]) -> Moves:
    folder = out / "sources" / "tax_grade"
    standard = folder / "tax_grade.parquet"
    table = pq.read_table(standard)
    grades = np.asarray(table["grade"].to_pylist(), dtype=object)
    moves: Moves = {}
    published = np.isin(grades, ["A", "D"])
    kept = np.flatnonzero(~published)
    for position, old in enumerate(kept.tolist()):
        moves[(_relative(out, standard), old + 1)] = (_relative(out, standard), position + 1)
    frame = table.to_pandas()
    for grade in ("A", "D"):
        rows = np.flatnonzero(grades == grade)
        part = frame.iloc[rows]
        file = folder / f"tax_credit_{grade}_list.xlsx"
        values = [
            [
                i + 1,
                r.credit_code,
                names.get(r.credit_code, ""),
                f"{int(r.year)}年度" if pd.notna(r.year) else "",
                f"{r.grade}级",
                "国家税务总局天津市滨海新区税务局",
                pd.Timestamp(r.reported_on).date() if pd.notna(r.reported_on) else "",
            ]
            for i, r in enumerate(part.itertuples(index=False))
        ]
        header = ["序号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级", "评价单位", "评定时间"]
        _xlsx(file, f"纳税信用{grade}级纳税人名单", header, values)
        for position, old in enumerate(rows.tolist()):
            moves[(_relative(out, standard), old + 1)] = (_relative(out, file), position + 3)
    pq.write_table(
        pa.Table.from_pandas(frame.iloc[kept], preserve_index=False, schema=table.schema), standard
    )
    return moves


def _xlsx(path: Path, title: str, header: list[str], rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)

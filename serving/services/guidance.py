# ruff: noqa: E501 -- a table of guidance sentences reads better unbroken
"""Repair guidance (修复指导) per credit record, from its kind, severity and dates (SPEC §3 rules of 2026).

The dates come from ``record_status`` (the features' own rules), so the guidance and the scores can
never disagree on when a record becomes repairable; the text says what repairs it, who decides,
with which materials and where to apply online.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

ONLINE = {
    "creditchina": (
        "“信用中国”网站 信用修复栏目（www.creditchina.gov.cn）",
        "Credit China, credit repair (www.creditchina.gov.cn)",
    ),
    "gsxt": (
        "国家企业信用信息公示系统（www.gsxt.gov.cn）",
        "National Enterprise Credit Information Publicity System (www.gsxt.gov.cn)",
    ),
    "court": (
        "中国执行信息公开网（zxgk.court.gov.cn）",
        "China Enforcement Information Disclosure (zxgk.court.gov.cn)",
    ),
}
# What repairs each kind of record: how it ends, the materials, where to apply.
RULES: dict[str, dict[str, Any]] = {
    "admin_penalty": {
        "how": (
            "履行行政处罚决定、完成整改后申请信用修复，修复后停止公示",
            "perform the penalty decision, cure the breach, then apply for repair; display stops once repaired",
        ),
        "materials": (
            "信用修复申请书；履行处罚决定的证明（缴款凭证等）；整改报告；信用承诺书",
            "repair application; proof the penalty was performed (payment receipt); rectification report; written credit commitment",
        ),
        "online": "creditchina",
    },
    "abnormal_operation": {
        "how": (
            "纠正列入原因（补报年报、更正住所等）后申请移出经营异常名录；届满 3 年未移出将列入严重违法失信名单",
            "cure the cause (file the annual report, correct the address) and apply to leave the list; after 3 years it escalates to the serious-dishonesty list",
        ),
        "materials": (
            "移出申请书；补报的年度报告或住所证明；信用承诺书",
            "application to leave the list; the filed annual report or proof of address; written credit commitment",
        ),
        "online": "gsxt",
    },
    "serious_dishonesty": {
        "how": (
            "列入满 1 年且已纠正失信行为后，向作出决定的部门申请移出",
            "after 1 year on the list and once the conduct is cured, apply to the deciding department to leave it",
        ),
        "materials": (
            "移出申请书；纠正失信行为的证明；信用承诺书；必要时参加信用修复培训的证明",
            "application; proof the conduct was cured; written credit commitment; where required, proof of credit-repair training",
        ),
        "online": "gsxt",
    },
    "judgment_defaulter": {
        "how": (
            "履行生效法律文书确定的义务后，由执行法院删除失信信息",
            "perform the obligations of the judgment; the enforcing court then removes the entry",
        ),
        "materials": (
            "履行完毕的证明或执行和解协议；删除申请",
            "proof of performance or a settlement agreement; request for removal",
        ),
        "online": "court",
    },
    "commitment_breached": {
        "how": (
            "补正承诺事项（补齐材料或履行义务）后申请信用修复",
            "make good the commitment (supply the documents or perform) and apply for repair",
        ),
        "materials": (
            "信用修复申请书；补正承诺事项的证明；新的信用承诺书",
            "repair application; proof the commitment was made good; a new written credit commitment",
        ),
        "online": "creditchina",
    },
}


def _day(value: Any) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def repair_guidance(record: dict[str, Any], on: date) -> dict[str, Any] | None:
    """Return the guidance for one record with its ``record_status`` columns, or None if none is needed.

    Positive records, records not yet shown, revoked by a correction or already repaired, removed or
    expired need no repair; minor records are never published (at most 3 months), so they need none either.
    """
    rule = RULES.get(str(record.get("kind")))
    if rule is None or record.get("status") in (
        "positive",
        "later",
        "revoked",
        "repaired",
        "removed",
        "expired",
    ):
        return None
    if record.get("severity") == "minor":
        return None
    from_date = _day(record.get("repairable_from"))
    listed = record.get("status") == "listed"
    if listed or from_date is None:
        when = ("纠正后即可申请", "as soon as the cause is cured")
    elif from_date <= on:
        when = (f"自 {from_date} 起可申请（现已可申请）", f"from {from_date} (open now)")
    else:
        when = (f"自 {from_date} 起可申请", f"from {from_date}")
    department = record.get("department") or "作出决定的部门"
    online = ONLINE[rule["online"]]
    return {
        "event_id": record.get("event_id"),
        "repairable_from": from_date,
        "open_now": listed or (from_date is not None and from_date <= on),
        "department": department,
        "zh": {
            "when": when[0],
            "how": rule["how"][0],
            "materials": rule["materials"][0],
            "online": online[0],
        },
        "en": {
            "when": when[1],
            "how": rule["how"][1],
            "materials": rule["materials"][1],
            "online": online[1],
        },
    }


def guidance_for(records: list[dict[str, Any]], on: date) -> dict[str, dict[str, Any]]:
    """Return the guidance of every record that needs repair, by event id."""
    found = {}
    for record in records:
        guidance = repair_guidance(record, on)
        if guidance is not None:
            found[str(record["event_id"])] = guidance
    return found

"""The platform's fixed vocabulary, each word defined once with its Chinese name.

Zones, entity types, registration statuses, tax grades, record kinds, severities, declaration
channels and industries are referred to by code everywhere (contracts, features, rules, models,
API, dashboard); their Chinese names live here so that a feature description, a reason, a
dashboard label and an export all say the same thing. Each tuple of codes is the key order of its
dict: the order columns, categories and lists follow.
"""

from __future__ import annotations

ZONES: dict[str, str] = {
    "teda": "经开区",
    "bonded": "保税区",
    "hitech": "高新区",
    "dongjiang": "东疆",
    "ecocity": "生态城",
}
# The second character of the unified social credit code (SPEC §2).
ENTITY_TYPE_NAMES: dict[str, str] = {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}
ENTITY_TYPES: tuple[str, ...] = tuple(ENTITY_TYPE_NAMES)
REGISTRY_STATUS_NAMES: dict[str, str] = {"active": "存续", "revoked": "吊销", "deregistered": "注销"}
REGISTRY_STATUSES: tuple[str, ...] = tuple(REGISTRY_STATUS_NAMES)
# Tax credit grades, best first (M: new taxpayers without a full year of record).
TAX_GRADES: tuple[str, ...] = ("A", "B", "M", "C", "D")
IP_KIND_NAMES: dict[str, str] = {
    "invention_application": "发明专利申请",
    "invention_grant": "发明专利授权",
    "utility_grant": "实用新型授权",
    "design_grant": "外观设计授权",
    "trademark": "商标注册",
    "pledge": "知识产权质押",
    "lapse": "专利失效",
    "infringement_penalty": "侵权处罚",
}
IP_KINDS: tuple[str, ...] = tuple(IP_KIND_NAMES)
CREDIT_EVENT_KIND_NAMES: dict[str, str] = {
    "admin_penalty": "行政处罚",
    "abnormal_operation": "经营异常名录",
    "serious_dishonesty": "严重失信名单",
    "judgment_defaulter": "失信被执行人",
    "commitment_made": "信用承诺",
    "commitment_breached": "违背信用承诺",
    "honor": "表彰荣誉",
}
CREDIT_EVENT_KINDS: tuple[str, ...] = tuple(CREDIT_EVENT_KIND_NAMES)
SEVERITY_NAMES: dict[str, str] = {"minor": "轻微", "general": "一般", "serious": "严重"}
SEVERITIES: tuple[str, ...] = tuple(SEVERITY_NAMES)
DECLARATION_CHANNELS: tuple[str, ...] = ("self_report", "project_application", "survey")

# GB/T 4754-2017 sections and the range of two-digit divisions each holds.
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
# Every division code ("A01" … "T97"): fixed categories, so every partition, panel and scoring
# call agrees.
INDUSTRIES: tuple[str, ...] = tuple(
    f"{section}{division:02d}"
    for section, (first, last) in INDUSTRY_SECTIONS.items()
    for division in range(first, last + 1)
)

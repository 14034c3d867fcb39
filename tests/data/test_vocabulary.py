"""Every code of the vocabulary has one Chinese name, and the contract, the features, the reasons
and the dashboard all say that name."""

from typing import get_args

import pytest

from data import vocabulary as v
from data.contracts import SOURCES
from features import rules
from features.families.tax_grade import GRADE_POINTS
from features.registry import CATEGORIES, FEATURES_BY_NAME
from models.policy import ClassName
from models.scale import CLASSES
from models.scoring import REPAIR_RECORD_COLUMNS
from serving.dashboard.i18n import translator

ZH, EN = translator("zh"), translator("en")


def _choices(source: str, column: str) -> tuple[str, ...]:
    return SOURCES[source].column(column).choices


def test_the_contract_accepts_exactly_the_vocabulary():
    assert _choices("registry", "zone") == tuple(v.ZONES)
    assert _choices("registry", "entity_type") == v.ENTITY_TYPES
    assert _choices("registry", "status") == v.REGISTRY_STATUSES
    assert _choices("tax_grade", "grade") == v.TAX_GRADES
    assert _choices("ip", "kind") == v.IP_KINDS
    assert _choices("credit_events", "kind") == v.CREDIT_EVENT_KINDS
    assert _choices("credit_events", "severity") == v.SEVERITIES
    assert _choices("declarations", "channel") == v.DECLARATION_CHANNELS


@pytest.mark.parametrize("kind", _choices("credit_events", "kind"))
def test_every_credit_record_kind_has_one_chinese_name_everywhere(kind):
    name = v.CREDIT_EVENT_KIND_NAMES[kind]
    assert name
    assert ZH(f"record.{kind}") == name
    assert EN(f"record.{kind}") not in ("", f"record.{kind}")
    for window in (12, 36):
        assert name in FEATURES_BY_NAME[f"ce_{kind}_count_{window}m"].description_zh


def test_record_kinds_are_either_negative_or_positive_and_lists_are_negative():
    assert sorted(rules.NEGATIVE_KINDS + rules.POSITIVE_KINDS) == sorted(v.CREDIT_EVENT_KINDS)
    assert not set(rules.NEGATIVE_KINDS) & set(rules.POSITIVE_KINDS)
    assert set(rules.LIST_KINDS) <= set(rules.NEGATIVE_KINDS)


def test_repair_reasons_name_records_as_the_vocabulary_does():
    for kind in rules.LIST_KINDS:
        assert REPAIR_RECORD_COLUMNS[f"ce_active_{kind}"][0] == v.CREDIT_EVENT_KIND_NAMES[kind]
    for level in ("general", "serious"):
        assert REPAIR_RECORD_COLUMNS[f"ce_active_unrepaired_{level}"][0].startswith(v.SEVERITY_NAMES[level])


def test_the_dashboard_labels_zones_severities_statuses_and_sources_from_the_definitions():
    for code, name in v.ZONES.items():
        assert ZH(f"zone.{code}") == name and EN(f"zone.{code}") != f"zone.{code}"
    for level, name in v.SEVERITY_NAMES.items():
        assert ZH(f"severity.{level}") == name
    for status, name in v.REGISTRY_STATUS_NAMES.items():
        assert ZH(f"status.{status}") == name
    for source in SOURCES.values():
        assert ZH(f"source.{source.name}") == source.title_zh


def test_ip_feature_descriptions_use_the_vocabulary_names():
    for kind, name in v.IP_KIND_NAMES.items():
        assert name in FEATURES_BY_NAME[f"ip_{kind}_count_total"].description_zh


def test_categorical_features_take_their_categories_from_the_vocabulary():
    assert CATEGORIES["reg_zone"] == tuple(v.ZONES)
    assert CATEGORIES["reg_entity_type"] == v.ENTITY_TYPES
    assert CATEGORIES["reg_industry"] == v.INDUSTRIES
    assert CATEGORIES["tg_last_grade"] == v.TAX_GRADES
    assert GRADE_POINTS == {"A": 4.0, "B": 3.0, "M": 2.0, "C": 1.0, "D": 0.0}
    assert "C39" in v.INDUSTRIES and "I65" in v.INDUSTRIES and len(v.INDUSTRIES) == 97


def test_supervision_classes_are_one_list():
    assert get_args(ClassName) == CLASSES

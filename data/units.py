"""Units as department exports write them, and the factor into each contract column's unit.

A unit comes from a header (``用电量（kWh）``, ``罚款金额（万元）``), from a unit line above an
Excel header (``单位：万元``, ``金额单位：元（列至角分）``) or from a profile. A 万元 figure read as
元 would be a silent 10,000× error, so every numeric value passes through the factor here, and a
unit of another dimension (``吨`` for electricity) rejects the file instead of loading nonsense.
"""

from __future__ import annotations

import re
import unicodedata

from data.contracts import Column, Source
from data.errors import RejectedFile

# unit as written (normalised) -> (dimension, size in the dimension's base unit)
FILE_UNITS: dict[str, tuple[str, float]] = {
    "元": ("money", 1.0),
    "人民币元": ("money", 1.0),
    "千元": ("money", 1e3),
    "万元": ("money", 1e4),
    "亿元": ("money", 1e8),
    "kwh": ("energy", 1.0),
    "千瓦时": ("energy", 1.0),
    "度": ("energy", 1.0),
    "万千瓦时": ("energy", 1e4),
    "万度": ("energy", 1e4),
    "立方米": ("volume", 1.0),
    "m3": ("volume", 1.0),
    "方": ("volume", 1.0),
    "万立方米": ("volume", 1e4),
    "吨": ("water", 1.0),  # water is billed by the tonne: 1 t = 1 m³; nothing else is
    "人": ("persons", 1.0),
    "天": ("days", 1.0),
    "日": ("days", 1.0),
    "月": ("months", 1.0),
    "个月": ("months", 1.0),
}
# contract unit -> (dimension, size); water_m3 also takes tonnes
CONTRACT_UNITS: dict[str, tuple[str, float]] = {
    "CNY": ("money", 1.0),
    "10k CNY": ("money", 1e4),
    "kWh": ("energy", 1.0),
    "m3": ("volume", 1.0),
    "persons": ("persons", 1.0),
    "days": ("days", 1.0),
    "months": ("months", 1.0),
}
WATER_COLUMNS = {"water_m3"}
_BRACKETED = re.compile(r"^(?P<name>.*?)\s*[（(](?P<unit>[^（）()]+)[）)]\s*$")
_UNIT_LINE = re.compile(r"^(?:金额|计量|数量)?单位\s*[:：]\s*(?P<unit>[^\s（(，,;；]+)")


def normalize_unit(text: str) -> str:
    """Return a unit as the tables above key it: NFKC (so m³ reads m3), lower-case, no spaces."""
    return unicodedata.normalize("NFKC", text.replace("㎥", "m3")).replace(" ", "").lower()


def split_unit(header: str) -> tuple[str, str | None]:
    """Split ``用电量（kWh）`` into ('用电量', 'kWh'); a bracket that is no unit stays in the name."""
    match = _BRACKETED.match(header.strip())
    if match and _known(match["unit"]):
        return match["name"], match["unit"].strip()
    return header, None


def unit_line(text: str) -> str | None:
    """Return the unit a line such as ``单位：万元`` or ``金额单位：元（列至角分）`` declares, if any."""
    match = _UNIT_LINE.match(unicodedata.normalize("NFKC", text).strip())
    if match and _known(match["unit"]):
        return match["unit"]
    return None


def _known(unit: str) -> bool:
    return normalize_unit(unit) in FILE_UNITS


def factor(column: Column, unit: str, where: str) -> float:
    """Return what a value in ``unit`` is multiplied by to be in the column's unit, or reject."""
    written = FILE_UNITS.get(normalize_unit(unit))
    target = CONTRACT_UNITS.get(column.unit or "")
    if written is None or target is None:
        raise RejectedFile(f"{where}: column {column.name} cannot take a unit ({unit!r})")
    dimension, size = written
    if dimension == "water" and column.name in WATER_COLUMNS:
        dimension = "volume"
    if dimension != target[0]:
        raise RejectedFile(
            f"{where}: column {column.name} is in {column.unit}; the file writes it in {unit!r}, "
            "which cannot be converted"
        )
    return size / target[1]


def column_factors(
    source: Source, units: dict[str, str], default_money: str | None, where: str
) -> dict[str, float]:
    """Return the factor of every mapped numeric column whose unit is not the contract's own.

    ``units`` are the units headers (or a profile) give; ``default_money`` the unit line's, which
    applies to money columns whose header is silent.
    """
    factors: dict[str, float] = {}
    if default_money and FILE_UNITS.get(normalize_unit(default_money), ("",))[0] != "money":
        default_money = None  # a unit line of another dimension says nothing about money columns
    for col in source.columns:
        unit = units.get(col.name)
        if unit is None and default_money and col.unit in {"CNY", "10k CNY"}:
            unit = default_money
        if unit is None:
            continue
        value = factor(col, unit, where)
        if value != 1.0:
            factors[col.name] = value
    return factors

"""What a raw file holds once its header is read: the column mapping and chunks of text columns.

Readers of every format (``data.csvfiles``, ``data.readers``) map headers onto a source contract
here, by hand-given mappings first, then by the contract's names and Chinese aliases, with or
without a unit in brackets, and hand validation ``RawChunk``s keyed by canonical column names.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from data.contracts import Source
from data.errors import RejectedFile
from data.national import NATURAL_PERSON, NationalLayout, convert_chunk, detect
from data.units import split_unit

# Reason codes of rows the reader cannot hand to validation (validation has the others).
MALFORMED = "malformed_row"
BAD_ENCODING = "bad_encoding"


@dataclass
class RawChunk:
    """A slice of a file: text (or typed-number) columns by canonical name, row numbers, bad lines."""

    columns: dict[str, pa.Array]
    row_numbers: np.ndarray
    malformed: list[tuple[int, str, str, str]] = field(default_factory=list)  # (row, text, why, code)
    # rows a reader already knows are not records of the source: (row indexes, reason code, message)
    faults: list[tuple[np.ndarray, str, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why): totals, footnotes

    def __len__(self) -> int:
        return len(self.row_numbers)


@dataclass
class FileLayout:
    """What the header told us: the column mapping and the columns we did not recognise."""

    mapping: dict[str, str]  # header as written -> canonical column name
    ignored: list[str]
    encoding: str | None = None
    units: dict[str, str] = field(default_factory=dict)  # canonical column -> unit the file writes
    unit_line: str | None = None  # the unit a line above the header declares (单位：万元)
    headers: list[str] = field(default_factory=list)  # every header cell, in file order
    national: NationalLayout | None = None  # a national export layout recognised by its headers
    ignored_sheets: list[str] = field(default_factory=list)  # sheets with no header of the source


def normalize_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\ufeff", "").strip()
    return text.lower().replace(" ", "").replace("_", "")


def header_lookup(source: Source) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in source.columns:
        for name in (col.name, *col.aliases):
            lookup[normalize_header(name)] = col.name
    return lookup


def suggest_columns(source: Source, headers: Sequence[str], taken: Sequence[str] = ()) -> dict[str, str]:
    """Return, for each header, the nearest contract column not yet taken (names and aliases).

    A header's unit in brackets is left out of the comparison; a match scoring under 60 (of 100)
    is no suggestion at all.
    """
    from rapidfuzz import fuzz, process

    lookup = {k: v for k, v in header_lookup(source).items() if v not in set(taken)}
    suggestions: dict[str, str] = {}
    for header in headers:
        key = normalize_header(split_unit(header)[0])
        if not key or not lookup:
            continue
        best = process.extractOne(key, list(lookup), scorer=fuzz.WRatio, score_cutoff=60)
        if best is not None:
            suggestions[header] = lookup[best[0]]
    return suggestions


def map_header(source: Source, headers: list[str], columns: Mapping[str, str] | None = None) -> FileLayout:
    """Map a file's headers onto the contract, or reject the file saying what is missing.

    ``columns`` maps headers by hand (header as written -> contract column) before the aliases
    are tried. Empty header cells (a trailing comma) are neither mapped nor reported. A header
    carrying a unit (``用电量（kWh）``) matches by its name; the unit goes into ``units``.
    """
    lookup = header_lookup(source)
    manual = {normalize_header(h): c for h, c in (columns or {}).items()}
    for header, column in (columns or {}).items():
        if column not in source.column_names:
            raise RejectedFile(
                f"--column {header}={column}: {source.name} has no column {column!r}; "
                f"its columns are {', '.join(source.column_names)}"
            )
    mapping: dict[str, str] = {}
    units: dict[str, str] = {}
    ignored: list[str] = []
    for header in headers:
        if not header.strip():
            continue
        unit = split_unit(header.rsplit("/", 1)[-1])[1] or split_unit(header)[1]
        canonical = match_header(header, manual, lookup)
        if canonical is None:
            ignored.append(header)
        elif canonical in mapping.values():
            first = next(h for h, c in mapping.items() if c == canonical)
            raise RejectedFile(
                f"columns {first!r} and {header!r} both map to {canonical!r}; keep one of them"
            )
        else:
            mapping[header] = canonical
            if unit:
                units[canonical] = unit
    missing = [c.name for c in source.columns if c.required and c.name not in mapping.values()]
    if missing:
        suggestions = suggest_columns(source, ignored, taken=list(mapping.values()))
        hints = ", ".join(
            f"{m} ({'/'.join(source.column(m).aliases[:2])})" if source.column(m).aliases else m
            for m in missing
        )
        advice = (
            "; did you mean " + ", ".join(f"--column {h}={c}" for h, c in suggestions.items())
            if suggestions
            else ""
        )
        raise RejectedFile(
            f"{source.name}: missing required column(s) {hints}; "
            f"found {', '.join(h for h in headers if h.strip()) or 'none'}{advice}",
            suggestions,
        )
    return FileLayout(mapping, ignored, units=units, headers=list(headers))


def layout_of(source: Source, headers: list[str], columns: Mapping[str, str] | None = None) -> FileLayout:
    """The layout of a file: a national export layout if its headers are one, else the mapping."""
    national = None if columns else detect(source.name, headers)
    if national is None:
        return map_header(source, headers, columns)
    named = [h for h in headers if h.strip()]
    return FileLayout({h: h for h in named}, [], headers=list(headers), national=national)


def national_chunks(layout: FileLayout, chunks: Iterator[RawChunk]) -> Iterator[RawChunk]:
    """Map each chunk of a national layout into contract columns; natural persons become faults."""
    if layout.national is None:
        yield from chunks
        return
    for chunk in chunks:
        columns, persons = convert_chunk(layout.national, chunk.columns)
        faults = list(chunk.faults)
        if persons.any():
            faults.append(
                (
                    np.flatnonzero(persons),
                    NATURAL_PERSON,
                    "the subject is a natural person, not an enterprise; personal records are not loaded",
                )
            )
        yield RawChunk(columns, chunk.row_numbers, chunk.malformed, faults=faults, skipped=chunk.skipped)


def match_header(header: str, manual: Mapping[str, str], lookup: Mapping[str, str]) -> str | None:
    """The column a header names: by hand first, then by alias; with or without its unit, and for
    a flattened two-row header (``增值税/销售额``) as one name or by its lower part."""
    forms = [header, split_unit(header)[0]]
    if "/" in header:
        joined = header.replace("/", "")
        child = header.rsplit("/", 1)[-1]
        forms += [joined, split_unit(joined)[0], child, split_unit(child)[0]]
    for table in (manual, lookup):
        for form in forms:
            if found := table.get(normalize_header(form)):
                return found
    return None

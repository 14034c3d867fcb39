"""Output forms of the sources: GB18030 CSV with Chinese headers, or Parquet with English names.

Files are appended chunk by chunk; each writer counts data rows per file so injected faults can
be reported with their 1-based row number.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.contracts import get_source
from data.synth.mess import Fault, inject

Form = Literal["csv", "parquet"]

# How each source arrives: which form, and whether a file holds one year of periods.
FORMS: dict[str, tuple[Form, bool]] = {
    "registry": ("csv", False),
    "tax": ("csv", True),
    "social_security": ("csv", True),
    "credit_events": ("csv", False),
    "utility": ("parquet", True),
    "statistics": ("parquet", True),
    "ip": ("parquet", False),
    "tax_grade": ("parquet", False),
    "declarations": ("csv", False),
}
ENCODING = "gb18030"


def to_text(table: pa.Table) -> pa.Table:
    """Format a typed table as CSV text: 2-decimal floats, 1/0 booleans, ISO dates, empty nulls."""
    columns = {}
    for name in table.column_names:
        col = table[name].combine_chunks()
        if pa.types.is_floating(col.type):
            values = col.to_numpy(zero_copy_only=False)
            cents = np.round(np.nan_to_num(values) * 100).astype(np.int64)
            pairs = np.empty((len(cents), 2), np.int64)
            pairs[:, 0], pairs[:, 1] = cents, cents >> 63
            validity = col.is_valid()
            decimals = pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(pairs)])
            col = pc.if_else(validity, decimals.cast(pa.string()), pa.scalar(None, pa.string()))
        elif pa.types.is_boolean(col.type):
            col = col.cast(pa.int8()).cast(pa.string())
        else:
            col = col.cast(pa.string())
        columns[name] = col
    return pa.table(columns)


class SourceWriter:
    """Appends chunks of one source to its files, injecting and recording faults."""

    def __init__(self, root: Path, source: str, mess_rate: float):
        self.source = get_source(source)
        self.form, self.by_year = FORMS[source]
        self.dir = root / "sources" / source
        self.dir.mkdir(parents=True, exist_ok=True)
        for stale in sorted(self.dir.glob(f"*.{self.form}")):
            stale.unlink()
        self.mess_rate = mess_rate
        self.rows: dict[Path, int] = {}
        self.mess: list[tuple[str, str, int, str]] = []
        self._parquet: dict[Path, pq.ParquetWriter] = {}

    def write(self, table: pa.Table, rng: np.random.Generator) -> None:
        if self.by_year:
            year = pc.utf8_slice_codeunits(table["period"], 0, 4)
            for value in sorted(set(year.to_pylist())):
                self._write_file(self.dir / f"{value}.{self.form}", table.filter(pc.equal(year, value)), rng)
        else:
            self._write_file(self.dir / f"{self.source.name}.{self.form}", table, rng)

    def _write_file(self, path: Path, table: pa.Table, rng: np.random.Generator) -> None:
        if self.form == "csv":
            table, faults = inject(to_text(table), self.source.name, self.mess_rate, rng, text=True)
            self._append_csv(path, table)
        else:
            table, faults = inject(table, self.source.name, self.mess_rate, rng, text=False)
            self._append_parquet(path, table)
        offset = self.rows.get(path, 0)
        self._record(path, offset, faults)
        self.rows[path] = offset + table.num_rows

    def _record(self, path: Path, offset: int, faults: list[Fault]) -> None:
        relative = path.relative_to(self.dir.parent.parent).as_posix()
        self.mess.extend((self.source.name, relative, offset + f.position + 1, f.reason) for f in faults)

    def _append_csv(self, path: Path, table: pa.Table) -> None:
        buffer = io.BytesIO()
        # Government exports quote nothing unless a value needs it; ours rarely do.
        free_text = [c for c in table.column_names if self.source.column(c).kind == "text"]
        needs_quotes = any(pc.any(pc.match_substring_regex(table[c], '[,"\r\n]')).as_py() for c in free_text)
        style = "needed" if needs_quotes else "none"
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, quoting_style=style))
        data = buffer.getvalue()
        if not data.isascii():
            data = data.decode("utf-8").encode(ENCODING)
        new = path not in self.rows
        with path.open("wb" if new else "ab") as handle:
            if new:
                header = ",".join(self.source.column(c).aliases[0] for c in table.column_names)
                handle.write((header + "\n").encode(ENCODING))
            handle.write(data)

    def _append_parquet(self, path: Path, table: pa.Table) -> None:
        writer = self._parquet.get(path)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            self._parquet[path] = writer
        writer.write_table(table)

    def close(self) -> list[Path]:
        for writer in self._parquet.values():
            writer.close()
        return sorted(self.rows)


class TruthWriter:
    """Appends truth tables (latent states, labels, enterprises) as Parquet."""

    def __init__(self, root: Path):
        self.dir = root / "truth"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, pq.ParquetWriter] = {}

    def write(self, name: str, table: pa.Table) -> None:
        writer = self._writers.get(name)
        if writer is None:
            writer = pq.ParquetWriter(self.dir / f"{name}.parquet", table.schema, compression="zstd")
            self._writers[name] = writer
        writer.write_table(table)

    def close(self) -> dict[str, Path]:
        for writer in self._writers.values():
            writer.close()
        return {name: self.dir / f"{name}.parquet" for name in sorted(self._writers)}

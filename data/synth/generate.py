"""Generate a synthetic development-zone world: sources ready for ingestion plus ground truth."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from data.contracts import SOURCES
from data.errors import InvalidArguments
from data.synth import declarations, observe, truth
from data.synth import params as P
from data.synth.calendar import month_grid
from data.synth.population import ZONE_CODES
from data.synth.world import ChunkWorld, simulate_chunk
from data.synth.writer import SourceWriter, TruthWriter


@dataclass
class WorldSummary:
    """What was written: rows and files per source, injected faults, truth files."""

    out: Path
    enterprises: int
    months: int
    start: str
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[Path]] = field(default_factory=dict)
    mess_rows: int = 0
    truth: dict[str, Path] = field(default_factory=dict)


def generate_world(
    out: Path,
    enterprises: int,
    months: int = 48,
    start: str = "2022-01",
    seed: int = 0,
    mess_rate: float = 0.01,
    chunk_enterprises: int = 50_000,
    form: str = "standard",
) -> WorldSummary:
    """Simulate ``enterprises`` enterprises over ``months`` months and write sources and truth.

    Same arguments give byte-identical files. Work is streamed by chunks of enterprises, each with
    its own random stream spawned from ``seed``, so memory stays bounded for a million firms.
    ``form="national"`` writes credit records and published tax grades in the national export
    layouts (``data.synth.national``).
    """
    if enterprises < 1 or months < 13:
        raise InvalidArguments("need at least 1 enterprise and 13 months (labels look 12 months ahead)")
    if not 0 <= mess_rate < 0.5:
        raise InvalidArguments(f"mess_rate must be in [0, 0.5), got {mess_rate}")
    if form not in {"standard", "national"}:
        raise InvalidArguments(f"form must be standard or national, got {form!r}")
    out = Path(out)
    grid = month_grid(start, months, P.BURN_IN)
    writers = {name: SourceWriter(out, name, mess_rate) for name in SOURCES}
    truth_writer = TruthWriter(out)
    taken: set[str] = set()
    chunks = range(0, enterprises, chunk_enterprises)
    for number, first in enumerate(chunks):
        n = min(chunk_enterprises, enterprises - first)
        world_seq, observe_seq, mess_seq, oracle_seq = np.random.SeedSequence(
            seed, spawn_key=(number,)
        ).spawn(4)
        world = simulate_chunk(n, first, grid, np.random.default_rng(world_seq), taken)
        _write_sources(
            world, writers, np.random.default_rng(observe_seq), np.random.default_rng(mess_seq), mess_rate
        )
        truth_writer.write("enterprises", _enterprises(world))
        truth_writer.write("latent", truth.latent(world))
        truth_writer.write("labels", truth.oracle(world, np.random.default_rng(oracle_seq)))
        del world

    summary = WorldSummary(out=out, enterprises=enterprises, months=months, start=start, seed=seed)
    mess: list[tuple[str, str, int, str]] = []
    for name, writer in writers.items():
        summary.files[name] = writer.close()
        summary.rows[name] = sum(writer.rows.values())
        mess.extend(writer.mess)
    summary.truth = truth_writer.close()
    summary.truth["mess"] = _write_mess(out / "truth" / "mess.csv", mess)
    if form == "national":
        from data.synth.national import rewrite_mess, write_national

        rewrite_mess(summary.truth["mess"], write_national(out, np.random.default_rng(seed)))
        for name in ("credit_events", "tax_grade"):
            summary.files[name] = sorted(p for p in (out / "sources" / name).iterdir() if p.is_file())
    summary.mess_rows = len(mess)
    summary.truth["world"] = _write_parameters(
        out / "truth" / "world.json", summary, mess_rate, chunk_enterprises
    )
    return summary


def _write_sources(
    world: ChunkWorld,
    writers: dict[str, SourceWriter],
    rng: np.random.Generator,
    mess_rng: np.random.Generator,
    mess_rate: float,
) -> None:
    # Missing reports and late feeds are not faults: they load, and features must cope.
    missing, late = mess_rate / 2, mess_rate
    series = observe.MonthlySeries(world, rng)
    tables = {
        "registry": observe.registry(world),
        "tax": observe.tax(series, missing, late),
        "tax_grade": observe.tax_grade(world),
        "social_security": observe.social_security(series, missing, late),
        "utility": observe.utility(series, missing, late),
        "ip": observe.ip(series),
        "statistics": observe.statistics(series, late),
        "credit_events": observe.credit_events(world),
        "declarations": declarations.declarations(series),  # last: the other sources' draws stay
    }
    for name, table in tables.items():
        writers[name].write(table, mess_rng)


def _enterprises(world: ChunkWorld) -> pa.Table:
    """Static truth per enterprise: attributes, exit, zombie flag, latent integrity and level."""
    end = world.grid.window_end_day
    exited = (world.exit_day >= 0) & (world.exit_day <= end)
    return pa.table(
        {
            "credit_code": pa.array(world.credit_code, pa.string()),
            "zone": pa.array(np.asarray(ZONE_CODES)[world.zone], pa.string()),
            "industry": pa.array(np.asarray(P.INDUSTRY_CODES)[world.industry], pa.string()),
            "entity_type": pa.array(world.entity_type, pa.string()),
            "established_on": observe.dates(world.established_day),
            "exit_on": observe.dates(np.where(exited, world.exit_day, -1)),
            "exit_kind": pa.array(np.where(exited, world.exit_kind, 0).astype(np.int8)),
            "zombie": world.zombie,
            "annual_revenue": np.round(world.annual_revenue, 2),
            "integrity": world.integrity.astype(np.float32),
            "mean_health": world.mean_health.astype(np.float32),
        }
    )


def _write_mess(path: Path, rows: list[tuple[str, str, int, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "file", "row_number", "reason_code"])
        writer.writerows(rows)
    return path


def _write_parameters(path: Path, summary: WorldSummary, mess_rate: float, chunk: int) -> Path:
    params = {
        "enterprises": summary.enterprises,
        "months": summary.months,
        "start": summary.start,
        "seed": summary.seed,
        "mess_rate": mess_rate,
        "chunk_enterprises": chunk,
        "burn_in_months": P.BURN_IN,
        "rows": summary.rows,
        "mess_rows": summary.mess_rows,
    }
    path.write_text(json.dumps(params, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path

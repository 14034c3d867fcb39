"""Shared helpers for benchmarks: run a measurement in a fresh process, print a table."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import date

import psutil


def measure(code: str, *args: str) -> dict:
    """Run ``code`` in a child Python; it prints a JSON dict; add its peak RSS in MiB."""
    wrapped = (
        code
        + "\nimport json as _j, resource as _r\n"
        + "_result['peak_mib'] = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss / 1024\n"
        + "print(_j.dumps(_result))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapped, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    """Describe the machine a figure was measured on."""
    return (
        f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, {date.today()}"
    )


def print_table(title: str, header: list[str], rows: list[list[object]]) -> str:
    """Print and return a Markdown table."""
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    return text

"""A large upload reaches the disk in blocks: the server's memory does not grow with the file.

The server runs in its own process and receives a 1 GiB export; the test samples the server's
anonymous resident memory (``RssAnon``: the heap, never file pages the kernel caches or maps) while
the upload runs. A peak of the whole RSS would also count pages of the file that the page cache
maps in, which depends on what ran before. The
file's header matches no tax column, so ingestion refuses it at the header: what is measured is the
HTTP path alone — receiving, spooling and copying the file. Ingesting a file larger than memory is
measured by ``tests/data/test_big_file.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from serving.keys import create_key
from serving.store import upgrade_database
from tests.serving.fixtures import free_port

FILE_MIB = 1024
# The interpreter with FastAPI, pandas, pyarrow and MLflow loaded holds a few hundred MiB; a server
# holding the file whole would need more than the file.
PEAK_LIMIT_MIB = 480


def _rss_anon_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon line in /proc status")


SERVER = """
import sys
import uvicorn
from serving.app import create_app
from zonecredit.settings import Settings
app = create_app(Settings(), watch_champions=False)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


@pytest.mark.slow
def test_a_1_gib_upload_streams_to_disk_in_bounded_memory(tmp_path: Path) -> None:
    export = tmp_path / "huge_tax.csv"
    line = b"91120116MA05T3K726,2024-01,1000.50,130.07,20,1,0,0,0,some remark text\n"
    block = line * ((1 << 20) // len(line) + 1)
    with export.open("wb") as out:
        out.write("统一社会信用代码,税款期间,销项,税额,预缴,按期,零,欠,天,备注\n".encode())
        for _ in range(FILE_MIB):
            out.write(block)
    database = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade_database(database)
    key = create_key(database, "steward")
    port = free_port()
    env = os.environ | {
        "ZONECREDIT_HOME": str(tmp_path / "home"),
        "ZONECREDIT_DATABASE_URL": database,
        "ZONECREDIT_MLFLOW_TRACKING_URI": (tmp_path / "mlruns").as_uri(),  # no models: fails fast
        "ZONECREDIT_ACCESS_LOG": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.5)
        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(_rss_anon_mib(server.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        with export.open("rb") as handle:
            response = httpx.post(
                f"{base}/v1/batches",
                headers={"Authorization": f"Bearer {key}"},
                data={"source": "tax", "dry_run": "true"},
                files={"file": (export.name, handle)},
                timeout=600,
            )
        done.set()
        sampler.join()
        assert response.status_code == 422, response.text
        assert "missing required column" in response.json()["detail"]
        assert not any((tmp_path / "home" / "uploads").iterdir()), "the stored upload was removed"
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
    assert len(samples) > 10, "the upload was sampled while it ran"
    assert max(samples) < PEAK_LIMIT_MIB, f"peak RssAnon {max(samples):.0f} MiB for a {FILE_MIB} MiB upload"

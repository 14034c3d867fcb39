"""The three champion models held by a process, and their hot reload when an alias moves.

A ``Champions`` value is immutable: a request reads ``holder.current`` once and scores with that
set to the end, so a reload (build a whole new set, then one reference assignment) can never hand a
request half-old, half-new models, and no request waits on a lock or fails during the swap.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from models.scoring import KINDS, Kind, ScoringModel, registered_name

log = logging.getLogger("zonecredit.serving")


@dataclass(frozen=True)
class Champions:
    """One loaded model per kind, with the registered version each was loaded from."""

    models: dict[Kind, ScoringModel]
    versions: dict[Kind, str]

    def __getitem__(self, kind: Kind) -> ScoringModel:
        return self.models[kind]


def champion_versions(tracking_uri: str) -> dict[Kind, str]:
    """Return the registered version the ``champion`` alias of each model points at now."""
    from mlflow import MlflowClient

    from models.packaged import require_champion_version

    client = MlflowClient(tracking_uri)
    return {kind: require_champion_version(client, kind) for kind in KINDS}


# The last model loaded per (registry, kind), with its version: a registered version never changes,
# so a process that loads the same champions again (a month-end batch then a rescore, a watcher
# rescoring every poll) reuses them instead of paying MLflow's load and requirement check again.
_loaded: dict[tuple[str, Kind], tuple[str, ScoringModel]] = {}


def load_champions(tracking_uri: str, versions: dict[Kind, str] | None = None) -> Champions:
    """Load the champions by version number (not by alias), so version and model always agree."""
    from models.packaged import load_scoring_model

    versions = versions or champion_versions(tracking_uri)
    models = {}
    for kind in KINDS:
        version, model = _loaded.get((tracking_uri, kind), (None, None))
        if version != versions[kind] or model is None:
            model = load_scoring_model(f"models:/{registered_name(kind)}/{versions[kind]}", tracking_uri)
            _loaded[tracking_uri, kind] = (versions[kind], model)
        models[kind] = model
    return Champions(models, dict(versions))


class ChampionHolder:
    """Holds the current champions and, optionally, a daemon thread that reloads them."""

    def __init__(self, tracking_uri: str, interval_seconds: float) -> None:
        self.tracking_uri = tracking_uri
        self.interval_seconds = interval_seconds
        self.current: Champions | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> bool:
        """Load the champions if any alias moved (or none is loaded); return whether they changed."""
        try:
            versions = champion_versions(self.tracking_uri)
            if self.current is not None and versions == self.current.versions:
                return False
            fresh = load_champions(self.tracking_uri, versions)
        except Exception as exc:  # registry down or no champion: keep serving what is loaded
            self.last_error = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            log.warning("champion check failed", extra={"error": self.last_error})
            return False
        self.current = fresh  # the atomic swap: one reference assignment
        self.last_error = None
        log.info("champions loaded", extra={"versions": fresh.versions})
        return True

    def start(self) -> None:
        """Start checking the aliases every ``interval_seconds`` in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="champion-reload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.refresh()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

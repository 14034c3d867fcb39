"""The tuning search space: a versioned TOML file (``search_space.toml``) read into a strict model.

Ranges are data, not code, so a change to them is a reviewed edit with a new ``version`` (logged
with the run's parameters); a typo, an unknown key or an empty range fails on load, naming the
field, instead of quietly tuning something else.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from data.errors import ZonecreditError

DEFAULT_SEARCH_SPACE = Path(__file__).with_name("search_space.toml")


class SearchSpaceError(ZonecreditError):
    """The search-space file cannot be read or breaks its model."""


class Trial(Protocol):
    """What the space needs of an Optuna trial (``optuna.Trial``, ``optuna.trial.FixedTrial``)."""

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Range(_Strict):
    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        low, high, log = self.low, self.high, self.log  # type: ignore[attr-defined]
        if not low < high:
            raise ValueError(f"low must be below high, got low={low}, high={high}")
        if log and low <= 0:
            raise ValueError(f"a log range needs a positive low, got low={low}")
        return self


class FloatRange(_Range):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False

    def suggest(self, trial: Trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, log=self.log)


class IntRange(_Range):
    type: Literal["int"]
    low: int
    high: int
    log: bool = False

    def suggest(self, trial: Trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, log=self.log)


Range = Annotated[FloatRange | IntRange, Field(discriminator="type")]


class SearchSpace(_Strict):
    """Tuned LightGBM parameters with their ranges, in suggestion order, and the fixed ones."""

    version: str = Field(min_length=1, max_length=32)
    params: dict[str, Range] = Field(min_length=1)
    fixed: dict[str, int | float | bool | str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _disjoint(self) -> SearchSpace:
        both = sorted(set(self.params) & set(self.fixed))
        if both:
            raise ValueError(f"parameter(s) both tuned and fixed: {', '.join(both)}")
        return self

    def suggest(self, trial: Trial) -> dict[str, Any]:
        """Return one trial's LightGBM parameters: each range suggested in file order, then the fixed."""
        return {**{name: r.suggest(trial, name) for name, r in self.params.items()}, **self.fixed}

    def complete(self, tuned: dict[str, Any]) -> dict[str, Any]:
        """Return a study's best (tuned) parameters with the fixed ones the trials also used."""
        return {**tuned, **self.fixed}


def parse_search_space(text: str, source: str = "search space") -> SearchSpace:
    """Validate search-space TOML text; a ``SearchSpaceError`` names ``source`` and the bad field."""
    try:
        return SearchSpace.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise SearchSpaceError(f"{source}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        raise SearchSpaceError(f"{source}: {exc}") from None


@cache
def load_search_space(path: Path = DEFAULT_SEARCH_SPACE) -> SearchSpace:
    """Read and validate a search-space file (once per path)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SearchSpaceError(f"{path}: cannot be read: {exc}") from None
    return parse_search_space(text, str(path))

"""Named ingest profiles: how one department's exports map onto a source, kept for next time.

A profile holds the header mappings a steward made by hand (``--column 增值税销售额=vat_sales``),
the sheet to read and the units of columns whose headers do not say them. Profiles live as YAML
files under ``ZONECREDIT_HOME/profiles`` and are validated strictly on load: an unknown key, an
unknown source or a mapping onto a column the source does not have is refused with its place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from data.contracts import SOURCES, get_source
from data.errors import InvalidInput

PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ProfileError(InvalidInput):
    """A profile is missing, malformed or does not fit its source."""


class Profile(BaseModel):
    """One department's export layout for one source: header mappings, sheet, column units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Profile name, e.g. tax-bureau-binhai")
    source: str = Field(description="The source the files feed, e.g. tax")
    columns: dict[str, str] = Field(default_factory=dict, description="header as written -> column")
    sheet: str | None = Field(default=None, description="Excel sheet to read (default: every sheet)")
    units: dict[str, str] = Field(
        default_factory=dict, description="column -> unit its values are in, where the header is silent"
    )
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not PROFILE_NAME.match(value):
            raise ValueError("use letters, digits, '-', '_' or '.', at most 64 characters")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value not in SOURCES:
            raise ValueError(f"unknown source {value!r}; known sources: {', '.join(SOURCES)}")
        return value

    @model_validator(mode="after")
    def _columns_exist(self) -> Profile:
        names = set(get_source(self.source).column_names)
        for header, column in self.columns.items():
            if column not in names:
                raise ValueError(f"columns: {header!r} maps to {column!r}, which {self.source} does not have")
        for column in self.units:
            if column not in names:
                raise ValueError(f"units: {self.source} has no column {column!r}")
        return self


def parse_column_mappings(pairs: list[str]) -> dict[str, str]:
    """Read ``HEADER=column`` options into a mapping, refusing a pair without '='."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        header, sep, column = pair.partition("=")
        if not sep or not header.strip() or not column.strip():
            raise ProfileError(f"--column {pair!r}: write it as HEADER=column, e.g. 增值税销售额=vat_sales")
        mapping[header.strip()] = column.strip()
    return mapping


def profiles_dir(home: Path) -> Path:
    return Path(home) / "profiles"


def save_profile(home: Path, profile: Profile) -> Path:
    """Write a profile as YAML under ``home/profiles``; return its path."""
    import yaml

    folder = profiles_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{profile.name}.yaml"
    path.write_text(
        yaml.safe_dump(profile.model_dump(exclude_defaults=False), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return path


def load_profile(home: Path, name: str) -> Profile:
    """Return the profile ``name`` saved under ``home``, validated; raise ProfileError saying why not."""
    import yaml

    if not PROFILE_NAME.match(name):
        raise ProfileError(f"profile {name!r}: not a valid profile name")
    path = profiles_dir(home) / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(profiles_dir(home).glob("*.yaml"))) or "none"
        raise ProfileError(f"no profile {name!r} in {profiles_dir(home)}; saved profiles: {known}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ProfileError(f"{path}: expected a mapping of profile fields")
    try:
        return Profile.model_validate(dict(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise ProfileError(f"{path}: {problems}") from exc


def list_profiles(home: Path) -> list[Profile]:
    """Return every valid profile saved under ``home``, by name (an invalid one raises)."""
    folder = profiles_dir(home)
    if not folder.is_dir():
        return []
    return [load_profile(home, p.stem) for p in sorted(folder.glob("*.yaml"))]

"""The services' policy file (``policy.toml``) read into strict models: a typo is an error, not a default."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from data.errors import ZonecreditError
from models.policy import ClassName
from zonecredit.settings import Settings

POLICY_FILE = Path(__file__).resolve().parent / "policy.toml"


class PolicyError(ZonecreditError):
    """The policy file cannot be read or breaks its model."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommitmentTemplate(Strict):
    """The credit commitment (信用承诺) an enterprise signs to use a program."""

    template_zh: str
    template_en: str
    days: int = Field(gt=0, le=366)
    severity: Literal["minor", "general", "serious"] = "general"


class Program(Strict):
    """A named rule set: which scored enterprises qualify, and what a bank or department is shown."""

    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    classes: tuple[ClassName, ...] = Field(min_length=1)
    require_active: bool = True
    no_active_warning: bool = True
    no_unrepaired_negative: bool = True
    clean_years: int | None = Field(default=None, ge=1, le=10)
    max_headcount: int | None = Field(default=None, gt=0)
    max_annual_sales: float | None = Field(default=None, gt=0)
    figures: tuple[str, ...] = ()
    commitment: CommitmentTemplate | None = None


class Clearout(Strict):
    level: Literal["red", "amber"] = "red"
    persistent_batches: int = Field(default=2, ge=1)


class Inspection(Strict):
    """How draws are staffed; the rate per class is the supervision policy's (``models.policy``)."""

    inspectors_per_enterprise: int = Field(default=2, ge=1, le=5)


class ServicesPolicy(Strict):
    version: str = Field(min_length=1, max_length=32)
    clearout: Clearout
    inspection: Inspection
    programs: dict[str, Program] = Field(min_length=1)

    def program(self, name: str) -> Program:
        """Return the program called ``name``, or a 404-worthy error naming the known ones."""
        from serving.errors import ApiError

        if name not in self.programs:
            raise ApiError(404, f"no program {name!r}; programs are {', '.join(self.programs)}")
        return self.programs[name]


def read_policy(path: Path) -> ServicesPolicy:
    """Return the policy in ``path``, refusing unknown keys and out-of-range values."""
    try:
        return ServicesPolicy.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path}: cannot be read: {exc}") from exc
    except ValidationError as exc:
        raise PolicyError(f"{path}: {exc}") from exc


@lru_cache(maxsize=4)
def services_policy(path: Path = POLICY_FILE) -> ServicesPolicy:
    """Return the policy in ``path`` (read once per path)."""
    return read_policy(path)


def policy_in_force(settings: Settings) -> ServicesPolicy:
    """Return the policy the settings name (``services_policy``), else the packaged one."""
    return services_policy(settings.services_policy or POLICY_FILE)

"""Unified Social Credit Code (GB 32100-2015): validation and generation (SPEC §1)."""

from __future__ import annotations

import numpy as np

from data.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
FINAL_WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
# GB 11714 reads letters as A=10 ... Z=35, independent of the 31-character alphabet.
_ORG_VALUE = {**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}}
ZONE_DIVISION = "120116"


class CreditCodeError(InvalidInput):
    """A credit code that is not a valid GB 32100 code, with the position at fault."""


def final_check_char(first17: str) -> str:
    """Return the 18th (final) check character for the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, FINAL_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """Return the organization-code check character (position 17) for positions 9-16."""
    total = sum(_ORG_VALUE[ch] * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def check_credit_code(code: str) -> None:
    """Raise CreditCodeError naming the first fault of ``code``; return None if it is valid."""
    if not isinstance(code, str):
        raise CreditCodeError(f"credit code must be text, got {type(code).__name__}")
    if len(code) != 18:
        raise CreditCodeError(f"credit code {code!r} has {len(code)} characters; expected 18")
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise CreditCodeError(
                f"credit code {code} has {ch!r} at position {pos}; allowed characters are {ALPHABET}"
            )
    expected17 = org_check_char(code[8:16])
    if code[16] != expected17:
        raise CreditCodeError(
            f"credit code {code} fails its organization check character at position 17: "
            f"found {code[16]!r}, expected {expected17!r}"
        )
    expected18 = final_check_char(code[:17])
    if code[17] != expected18:
        raise CreditCodeError(
            f"credit code {code} fails its check character at position 18: "
            f"found {code[17]!r}, expected {expected18!r}"
        )


def is_valid_credit_code(code: object) -> bool:
    """Return whether ``code`` passes both check characters."""
    try:
        check_credit_code(code)  # type: ignore[arg-type]
    except CreditCodeError:
        return False
    return True


def make_credit_code(
    body8: str, authority: str = "9", entity: str = "1", division: str = ZONE_DIVISION
) -> str:
    """Return the full valid code for an 8-character organization body."""
    first16 = authority + entity + division + body8
    first17 = first16 + org_check_char(body8)
    if first17[16] not in _VALUE:
        raise CreditCodeError(f"body {body8!r} yields a check character outside the alphabet")
    return first17 + final_check_char(first17)


# Organization bodies draw from characters valid in both alphabets; 'X' as the organization check
# character is in the alphabet, so every body yields a valid code.
_BODY_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))


def generate_credit_codes(
    n: int, rng: np.random.Generator, entity_types: list[str] | None = None
) -> list[str]:
    """Return ``n`` distinct valid codes for the new area, drawn from ``rng`` (deterministic)."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < n:
        bodies = rng.choice(_BODY_CHARS, size=(n - len(codes), 8))
        for i, row in enumerate(bodies):
            entity = entity_types[len(codes)] if entity_types else "1"
            body = "MA" + "".join(row[2:]) if i % 3 else "".join(row)
            code = make_credit_code(body, entity=entity)
            if code not in seen:
                seen.add(code)
                codes.append(code)
    return codes


_LOOKUP = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(ALPHABET):
    _LOOKUP[ord(_ch)] = _i
_ORG_LOOKUP = np.full(256, -1, dtype=np.int64)
for _ch, _v in _ORG_VALUE.items():
    _ORG_LOOKUP[ord(_ch)] = _v
_ORG_CHECK = np.array([ord(c) for c in "0123456789X0"], dtype=np.uint8)  # index = 11 - (sum % 11)


def valid_mask(codes: np.ndarray) -> np.ndarray:
    """Return which codes pass both checks, computed over arrays (same rule as check_credit_code)."""
    codes = np.asarray(codes, dtype=object)
    ok = np.fromiter((isinstance(c, str) and len(c) == 18 and c.isascii() for c in codes), bool, len(codes))
    if not ok.any():
        return ok
    raw = np.frombuffer("".join(codes[ok]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    values = _LOOKUP[raw]
    good = (values >= 0).all(axis=1)
    org = _ORG_LOOKUP[raw[:, 8:16]]
    org_check = _ORG_CHECK[11 - (org.clip(0) @ np.array(ORG_WEIGHTS)) % 11]
    good &= (org >= 0).all(axis=1) & (raw[:, 16] == org_check)
    final = (31 - (values[:, :17].clip(0) @ np.array(FINAL_WEIGHTS)) % 31) % 31
    good &= values[:, 17] == final
    ok[np.flatnonzero(ok)] = good
    return ok

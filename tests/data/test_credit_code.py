"""The Unified Social Credit Code rules of SPEC §1, on its vectors and as properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.credit_code import (
    ALPHABET,
    CreditCodeError,
    check_credit_code,
    final_check_char,
    generate_credit_codes,
    is_valid_credit_code,
    make_credit_code,
    org_check_char,
    valid_mask,
)


@pytest.mark.parametrize("code", ["91110000600037341L", "91120116MA05T3K726"])
def test_spec_examples_are_valid(code: str) -> None:
    check_credit_code(code)
    assert valid_mask(np.array([code], dtype=object)).tolist() == [True]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91120116MA05T3K72X", "fails its check character at position 18: found 'X', expected '6'"),
        ("91120116MA05T3K736", "fails its organization check character at position 17"),
        ("91120116MA05T3K72", "has 17 characters; expected 18"),
        ("91120116MA05T3KI26", "has 'I' at position 16"),
        ("91120116ma05t3k726", "has 'm' at position 9"),
        ("911201160A05T3KO26", "has 'O' at position 16"),
    ],
)
def test_invalid_codes_name_the_fault(code: str, message: str) -> None:
    with pytest.raises(CreditCodeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_credit_code(code)
    assert not valid_mask(np.array([code], dtype=object))[0]


def test_weights_follow_the_spec() -> None:
    from data.credit_code import FINAL_WEIGHTS

    assert FINAL_WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert org_check_char("MA05T3K7") == "2" and final_check_char("91120116MA05T3K72") == "6"


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=50))
def test_generated_codes_validate(seed: int, n: int) -> None:
    codes = generate_credit_codes(n, np.random.default_rng(seed))
    assert len(set(codes)) == n
    assert all(is_valid_credit_code(c) and c[2:8] == "120116" for c in codes)
    assert valid_mask(np.array(codes, dtype=object)).all()


@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=0, max_value=17),
    st.sampled_from(ALPHABET + "IOSVZa-"),
)
def test_every_single_character_change_is_caught(seed: int, position: int, replacement: str) -> None:
    code = generate_credit_codes(1, np.random.default_rng(seed))[0]
    if code[position] == replacement:
        return
    changed = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_credit_code(changed)
    assert not valid_mask(np.array([changed], dtype=object))[0]


def test_make_credit_code_sets_entity_type() -> None:
    code = make_credit_code("MA05T3K7", entity="2")
    assert code[1] == "2" and is_valid_credit_code(code)

"""Unit tests for the GB 32100 unified social credit code check character."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from core.registry import credit_code
from core.registry.credit_code import ALPHABET, check_character, complete, problem
from core.registry.models import EnterpriseData, InspectorData

# Real, published codes.
PUBLISHED = ["91350100M000100Y43", "91110000802100433B"]


def _enterprise(code: str) -> EnterpriseData:
    return EnterpriseData(credit_code=code, name="测试企业", jurisdiction="610100", industry_code="0313")


def _replace(code: str, index: int, char: str) -> str:
    return code[:index] + char + code[index + 1:]


def test_alphabet_is_the_31_characters_of_gb32100() -> None:
    assert len(ALPHABET) == 31
    assert len(set(ALPHABET)) == 31
    for excluded in "IOSVZ":
        assert excluded not in ALPHABET


def test_weights_are_powers_of_three_mod_31() -> None:
    # GB 32100-2015 table: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    assert credit_code.WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert problem(code) is None
    assert check_character(code[:17]) == code[17]
    assert complete(code[:17]) == code


@pytest.mark.parametrize("code", PUBLISHED)
def test_every_other_check_character_is_rejected(code: str) -> None:
    for char in ALPHABET:
        if char == code[17]:
            continue
        reason = problem(code[:17] + char)
        assert reason is not None
        assert f"expected {code[17]}" in reason


def test_check_character_is_0_when_the_weighted_sum_is_a_multiple_of_31() -> None:
    rest = "1" * 16
    rest_total = sum(ALPHABET.index(c) * w for c, w in zip(rest, credit_code.WEIGHTS[1:], strict=True))
    first = ALPHABET[-rest_total % 31]  # the first weight is 1
    assert check_character(first + rest) == "0"
    assert problem(first + rest + "0") is None


def test_single_character_substitution_is_always_detected() -> None:
    code = PUBLISHED[1]
    for index in range(17):
        for char in ALPHABET:
            if char == code[index]:
                continue
            changed = _replace(code, index, char)
            assert problem(changed) is not None, changed


def test_adjacent_transposition_is_detected() -> None:
    code = PUBLISHED[1]
    for index in range(16):
        a, b = code[index], code[index + 1]
        if a == b:
            continue
        swapped = code[:index] + b + a + code[index + 2:]
        assert problem(swapped) is not None, swapped


@pytest.mark.parametrize(
    ("code", "length"),
    [("", 0), ("91110000802100433", 17), ("91110000802100433B0", 19), ("9" * 30, 30)],
)
def test_wrong_length_is_reported(code: str, length: int) -> None:
    reason = problem(code)
    assert reason is not None
    assert "18 characters" in reason
    assert f"got {length}" in reason


@pytest.mark.parametrize("bad", list("IOSVZ"))
def test_characters_outside_the_alphabet_are_reported(bad: str) -> None:
    code = _replace(PUBLISHED[0], 9, bad)
    reason = problem(code)
    assert reason is not None
    assert "alphabet" in reason
    assert reason.endswith(bad)


def test_outside_alphabet_lists_each_bad_character_once_sorted() -> None:
    code = "91350100" + "ZOIOZ" + "100Y4"
    assert len(code) == 18
    assert problem(code) == "contains characters outside the GB 32100 alphabet: IOZ"


@pytest.mark.parametrize("char", ["-", " ", "中", "b"])
def test_other_foreign_characters_are_reported(char: str) -> None:
    reason = problem(_replace(PUBLISHED[1], 10, char))
    assert reason is not None
    assert "alphabet" in reason


def test_lowercase_is_rejected_by_problem() -> None:
    # problem() is case-sensitive; callers upper-case first.
    assert problem(PUBLISHED[0].lower()) is not None


def test_division_code_must_be_digits() -> None:
    code = complete(_replace(PUBLISHED[1], 4, "A")[:17])
    reason = problem(code)
    assert reason is not None
    assert "administrative division" in reason


@pytest.mark.parametrize("code", PUBLISHED)
def test_enterprise_data_upper_cases_the_credit_code(code: str) -> None:
    record = _enterprise(code.lower())
    assert record.credit_code == code


def test_enterprise_data_strips_surrounding_whitespace() -> None:
    assert _enterprise(f"  {PUBLISHED[1]}  ").credit_code == PUBLISHED[1]


def test_enterprise_data_rejects_a_wrong_check_character_even_in_lowercase() -> None:
    with pytest.raises(ValidationError) as info:
        _enterprise("91110000802100433c")
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [("credit_code",)]
    assert "check character is C, expected B" in errors[0]["msg"]


def test_inspector_conflicts_are_upper_cased_and_validated() -> None:
    inspector = InspectorData(
        staff_id="S1", name="张三", certificate_number="C1", certificate_expires="2027-01-01",
        jurisdictions=["610100"], conflicts=[PUBLISHED[0].lower(), PUBLISHED[0]],
    )
    assert inspector.conflicts == [PUBLISHED[0]]
    with pytest.raises(ValidationError):
        InspectorData(
            staff_id="S1", name="张三", certificate_number="C1", certificate_expires="2027-01-01",
            jurisdictions=["610100"], conflicts=[PUBLISHED[0][:17] + "0"],
        )


def test_complete_round_trips_over_many_generated_prefixes() -> None:
    rng = random.Random(32100)
    seen_checks = set()
    for _ in range(5000):
        prefix = (
            rng.choice("123456789ANY")
            + rng.choice(ALPHABET)
            + "".join(rng.choice("0123456789") for _ in range(6))
            + "".join(rng.choice(ALPHABET) for _ in range(9))
        )
        code = complete(prefix)
        assert len(code) == 18
        assert code.startswith(prefix)
        assert code[17] in ALPHABET
        assert problem(code) is None, code
        assert _enterprise(code.lower()).credit_code == code
        seen_checks.add(code[17])
        wrong = ALPHABET[(ALPHABET.index(code[17]) + 1 + rng.randrange(30)) % 31]
        assert problem(prefix + wrong) is not None
    # A uniform-ish check digit over 5000 codes hits every one of the 31 characters.
    assert seen_checks == set(ALPHABET)

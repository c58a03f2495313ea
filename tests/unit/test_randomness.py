"""Verifiable randomness: commitment, seed derivation, population hash and substreams."""

from __future__ import annotations

import hashlib

import pytest

from scheduler import randomness

SECRET = "00112233445566778899aabbccddeeff" * 2
OTHER_SECRET = "ffeeddccbbaa99887766554433221100" * 2
POPULATION = [("91610000000000001A", "general", 1.0), ("91610000000000002B", "key", 2.5),
              ("91610000000000003C", "special", 0.5)]


def seed(**changes: str) -> str:
    inputs = {"secret_hex": SECRET, "population_digest": randomness.population_hash(POPULATION),
              "plan_id": "plan-1", "public_value": "福彩3D 2026330: 4 1 7", **changes}
    return randomness.derive_seed(**inputs)


# --------------------------------------------------------------------------- commitment


def test_commitment_is_sha256_of_the_secret_bytes() -> None:
    assert randomness.commitment(SECRET) == hashlib.sha256(bytes.fromhex(SECRET)).hexdigest()
    # Of the bytes, not of the hex text.
    assert randomness.commitment(SECRET) != hashlib.sha256(SECRET.encode()).hexdigest()
    assert randomness.commitment("") == hashlib.sha256(b"").hexdigest()


def test_commitment_binds_the_secret() -> None:
    assert randomness.commitment(SECRET) != randomness.commitment(OTHER_SECRET)
    assert randomness.commitment(SECRET.upper()) == randomness.commitment(SECRET)  # same bytes


def test_new_secret_is_256_bits_of_fresh_hex() -> None:
    secrets = {randomness.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert len(secret) == 64 and len(bytes.fromhex(secret)) == 32
        assert len(randomness.commitment(secret)) == 64


def test_commitment_rejects_a_non_hex_secret() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - bytes.fromhex's own error
        randomness.commitment("not hex")


# --------------------------------------------------------------------------- seed


def test_seed_is_the_documented_length_prefixed_sha256() -> None:
    digest = randomness.population_hash(POPULATION)
    expected = hashlib.sha256()
    for part in (b"ecoinspect-seed-v1", bytes.fromhex(SECRET), digest.encode(), b"plan-1",
                 "福彩3D 2026330: 4 1 7".encode()):
        expected.update(len(part).to_bytes(4, "big") + part)
    assert seed() == expected.hexdigest()
    assert len(seed()) == 64 and int(seed(), 16) >= 0


def test_seed_is_stable_for_the_same_inputs() -> None:
    assert seed() == seed()
    assert seed(secret_hex=SECRET.upper()) == seed()  # the secret enters as bytes


@pytest.mark.parametrize("change", [
    {"secret_hex": OTHER_SECRET},
    {"population_digest": randomness.population_hash(POPULATION[:2])},
    {"plan_id": "plan-2"},
    {"public_value": "福彩3D 2026330: 4 1 8"},
    {"public_value": ""},
])
def test_seed_changes_when_any_input_changes(change: dict[str, str]) -> None:
    assert seed(**change) != seed()


def test_public_value_defaults_to_empty() -> None:
    digest = randomness.population_hash(POPULATION)
    assert randomness.derive_seed(secret_hex=SECRET, population_digest=digest, plan_id="p") == \
        randomness.derive_seed(secret_hex=SECRET, population_digest=digest, plan_id="p", public_value="")


@pytest.mark.parametrize(("first", "second"), [
    (("ab", "c"), ("a", "bc")),
    (("abc", ""), ("", "abc")),
    (("plan-1", "7"), ("plan-17", "")),
])
def test_length_prefixing_separates_plan_id_and_public_value(first: tuple[str, str],
                                                             second: tuple[str, str]) -> None:
    assert first[0] + first[1] == second[0] + second[1]
    assert seed(plan_id=first[0], public_value=first[1]) != seed(plan_id=second[0], public_value=second[1])


def test_length_prefixing_separates_digest_and_plan_id() -> None:
    assert seed(population_digest="abc", plan_id="d") != seed(population_digest="ab", plan_id="cd")


# --------------------------------------------------------------------------- population hash


def test_population_hash_is_sha256_of_the_canonical_listing() -> None:
    listing = ("91610000000000001A\tgeneral\t1.000000\n91610000000000002B\tkey\t2.500000\n"
               "91610000000000003C\tspecial\t0.500000\n")
    assert randomness.population_hash(POPULATION) == hashlib.sha256(listing.encode()).hexdigest()
    assert randomness.population_hash([]) == hashlib.sha256(b"").hexdigest()


def test_population_hash_depends_on_order() -> None:
    assert randomness.population_hash(POPULATION) != randomness.population_hash(list(reversed(POPULATION)))


@pytest.mark.parametrize(("index", "row"), [
    (0, ("91610000000000009Z", "general", 1.0)),  # another id
    (0, ("91610000000000001A", "key", 1.0)),  # another stratum
    (0, ("91610000000000001A", "general", 1.5)),  # another weight
    (1, ("91610000000000002B", "key", 2.500001)),  # a change at the sixth decimal
])
def test_population_hash_depends_on_ids_strata_and_weights(index: int, row: tuple[str, str, float]) -> None:
    changed = list(POPULATION)
    changed[index] = row
    assert randomness.population_hash(changed) != randomness.population_hash(POPULATION)


def test_population_hash_depends_on_membership() -> None:
    assert randomness.population_hash(POPULATION[:2]) != randomness.population_hash(POPULATION)
    assert randomness.population_hash(POPULATION + POPULATION[:1]) != randomness.population_hash(POPULATION)


def test_weights_are_hashed_with_six_decimals() -> None:
    # Documented: weights enter the listing as ``f"{w:.6f}"``, so differences below 5e-7 vanish.
    assert randomness.format_weight(1.0000001) == randomness.format_weight(1.0) == "1.000000"
    assert randomness.format_weight(2) == "2.000000"
    tiny = [("a", "general", 1.0000001)]
    assert randomness.population_hash(tiny) == randomness.population_hash([("a", "general", 1.0)])
    assert randomness.population_hash([("a", "general", 1.000001)]) != randomness.population_hash(
        [("a", "general", 1.0)])


def test_fields_cannot_run_into_each_other() -> None:
    # Tab and line-feed separators keep ("a1", "b") and ("a", "1b") apart.
    assert randomness.population_hash([("a1", "b", 1.0)]) != randomness.population_hash([("a", "1b", 1.0)])


# --------------------------------------------------------------------------- substreams


def test_substream_is_128_bits_of_sha256_of_seed_and_label() -> None:
    value = randomness.substream(seed(), "objects")
    raw = hashlib.sha256(bytes.fromhex(seed()) + b"objects").digest()[:16]
    assert value == int.from_bytes(raw, "big")
    assert 0 <= value < 2**128
    assert randomness.substream(seed(), "objects") == value


def test_substream_labels_give_independent_seeds() -> None:
    labels = ["objects", "inspectors", "redraw-1", "redraw-2", ""]
    values = [randomness.substream(seed(), label) for label in labels]
    assert len(set(values)) == len(labels)
    # Another seed moves every substream.
    other = [randomness.substream(seed(plan_id="plan-2"), label) for label in labels]
    assert not set(values) & set(other)


def test_substreams_share_no_structure() -> None:
    # Independent hash outputs: about half of the 128 bits differ between two labels.
    a = randomness.substream(seed(), "objects")
    b = randomness.substream(seed(), "inspectors")
    assert 32 <= bin(a ^ b).count("1") <= 96

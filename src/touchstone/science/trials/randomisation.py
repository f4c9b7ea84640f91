"""Concealed randomisation: stratified permuted blocks of random sizes from a sealed seed.

The allocation of the ``k``-th client enrolled in a stratum is a pure function of the study's
seed, the stratum, the arms' allocation ratio and the block multipliers, so the whole sequence
can be regenerated for audit from the sealed seed, and nothing needs to be stored before a
client is enrolled (staff who enrol cannot read what is not there).

Randomness: HMAC-SHA256 in counter mode, keyed with the 32-byte seed (the pseudorandom
function of NIST SP 800-108r1 §4.1, "KDF in counter mode"; HMAC-SHA256 as a PRF: RFC 2104,
FIPS 198-1). Each stratum has its own stream, ``HMAC(seed, "touchstone-rand/v1" || stratum
|| counter)``, 32 bytes per counter value. Integers in ``[0, n)`` are drawn by rejection
from 64-bit words, so every value is exactly equally likely (no modulo bias). The seed comes
from the operating system's CSPRNG (:func:`new_seed`, ``secrets.token_bytes``); numpy's and
Python's ``random`` generators are not used because they are predictable from their output.

Blocks (Schulz & Grimes 2002, Lancet 359:515-519, doi:10.1016/S0140-6736(02)07683-3, on
permuted blocks of random sizes for concealment): each block holds ``m x ratio[i]`` slots of
arm ``i`` for a multiplier ``m`` drawn uniformly from ``multipliers`` (e.g. 1, 2, 3 with a
1:1 ratio gives blocks of 2, 4 or 6), shuffled by Fisher-Yates (Knuth, TAOCP vol. 2,
Algorithm P).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

#: Domain-separation label of the stream (changing it changes every sequence: version it).
STREAM_LABEL = b"touchstone-rand/v1"
SEED_BYTES = 32


def new_seed() -> bytes:
    """A fresh 32-byte seed from the operating system's CSPRNG."""
    return secrets.token_bytes(SEED_BYTES)


def seed_commitment(seed: bytes) -> str:
    """SHA-256 of the seed (hex): published in the protocol before enrolment, so anyone can
    check after unsealing that the sequence came from the seed registered in advance."""
    return hashlib.sha256(seed).hexdigest()


class _Stream:
    """Deterministic random integers: HMAC-SHA256(seed, label || stratum || counter)."""

    def __init__(self, seed: bytes, stratum: str) -> None:
        if len(seed) < 16:
            raise ValueError("the seed must have at least 16 bytes")
        self._seed = seed
        self._prefix = STREAM_LABEL + b"\x00" + stratum.encode("utf-8") + b"\x00"
        self._counter = 0
        self._buffer = b""

    def _word(self) -> int:
        if len(self._buffer) < 8:
            block = hmac.new(
                self._seed, self._prefix + self._counter.to_bytes(8, "big"), hashlib.sha256
            ).digest()
            self._counter += 1
            self._buffer += block
        word, self._buffer = self._buffer[:8], self._buffer[8:]
        return int.from_bytes(word, "big")

    def below(self, n: int) -> int:
        """A uniform integer in ``[0, n)`` (rejection sampling: no modulo bias)."""
        if n < 1:
            raise ValueError("n must be positive")
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            word = self._word()
            if word < limit:
                return word % n


@dataclass(frozen=True)
class Block:
    """One permuted block: its position in the stratum's sequence and its arms in order."""

    index: int
    arms: tuple[int, ...]


def _check(ratio: Sequence[int], multipliers: Sequence[int]) -> None:
    if len(ratio) < 2 or any(int(r) != r or r < 1 for r in ratio):
        raise ValueError("the allocation ratio needs at least two arms, each a positive integer")
    if not multipliers or any(int(m) != m or m < 1 for m in multipliers):
        raise ValueError("block multipliers must be positive integers")
    if len(set(multipliers)) != len(multipliers):
        raise ValueError("block multipliers must not repeat")


def blocks(
    seed: bytes, stratum: str, ratio: Sequence[int], multipliers: Sequence[int]
) -> Iterator[Block]:
    """The endless sequence of permuted blocks of one stratum.

    Parameters
    ----------
    seed : bytes
        The study's sealed seed (:func:`new_seed`).
    stratum : str
        The stratum's label (e.g. ``"clinic=2|severity=severe"``); each has its own stream.
    ratio : sequence of int
        Allocation ratio by arm, e.g. ``(1, 1)`` or ``(2, 1)``.
    multipliers : sequence of int
        Block sizes as multiples of ``sum(ratio)``, drawn uniformly per block.

    Examples
    --------
    >>> first = next(blocks(b"0" * 32, "all", (1, 1), (1, 2, 3)))
    >>> sorted(first.arms).count(0) == sorted(first.arms).count(1)
    True
    """
    _check(ratio, multipliers)
    stream = _Stream(seed, stratum)
    index = 0
    while True:
        m = multipliers[stream.below(len(multipliers))]
        slots = [arm for arm, r in enumerate(ratio) for _ in range(m * r)]
        for i in range(len(slots) - 1, 0, -1):  # Fisher-Yates, Algorithm P
            j = stream.below(i + 1)
            slots[i], slots[j] = slots[j], slots[i]
        yield Block(index, tuple(slots))
        index += 1


def allocation(
    seed: bytes, stratum: str, position: int, ratio: Sequence[int], multipliers: Sequence[int]
) -> int:
    """The arm (index into ``ratio``) of the client at ``position`` (0-based) in ``stratum``."""
    if position < 0:
        raise ValueError("position must be 0 or more")
    passed = 0
    for block in blocks(seed, stratum, ratio, multipliers):
        if position < passed + len(block.arms):
            return block.arms[position - passed]
        passed += len(block.arms)
    raise AssertionError("unreachable")  # pragma: no cover


def sequence(
    seed: bytes, stratum: str, length: int, ratio: Sequence[int], multipliers: Sequence[int]
) -> list[int]:
    """The first ``length`` allocations of ``stratum`` (for audit after unsealing)."""
    out: list[int] = []
    for block in blocks(seed, stratum, ratio, multipliers):
        if len(out) >= length:
            break
        out.extend(block.arms)
    return out[:length]


def stratum_label(values: dict[str, str]) -> str:
    """A stable label for a stratum: ``key=value`` pairs sorted by key, ``|``-joined."""
    for key, value in values.items():
        if "|" in key + value or "=" in key:
            raise ValueError("stratum keys and values may not contain '|' or '='")
    return "|".join(f"{k}={values[k]}" for k in sorted(values)) or "all"

"""A fixed-size Bloom filter: flags possible repeats in a stream with flat memory."""

from __future__ import annotations

import hashlib


class BloomFilter:
    """``bits`` of memory whatever the stream length; no false negatives."""

    def __init__(self, bits: int = 1 << 27, hashes: int = 7) -> None:
        self.size = bits
        self.hashes = hashes
        self._bits = bytearray(bits // 8)

    def _positions(self, key: str) -> list[int]:
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        a, b = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return [(a + i * b) % self.size for i in range(self.hashes)]

    def add(self, key: str) -> bool:
        """Add ``key``; returns True when it may have been added before."""
        seen = True
        for position in self._positions(key):
            byte, bit = divmod(position, 8)
            if not self._bits[byte] >> bit & 1:
                seen = False
                self._bits[byte] |= 1 << bit
        return seen

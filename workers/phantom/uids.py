"""Deterministic UIDs for a case: the same seed gives the same UIDs, different seeds different
ones, and nothing about the case can be read back from them (they are hashes)."""

from __future__ import annotations

import hashlib

UID_ROOT = "1.2.826.0.1.3680043.10.1437."  # the project's synthetic-data root
UID_DIGITS = 30  # root (28 chars) + 30 digits stays well inside DICOM's 64


class Uids:
    def __init__(self, seed: int, salt: str = "") -> None:
        self._key = f"{seed}:{salt}"

    def uid(self, *parts: object) -> str:
        """A UID for a role (``"study"``, ``("series", 3)``, ``("instance", 3, 17)``...)."""
        text = ":".join([self._key, *(str(p) for p in parts)])
        digest = int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")
        digits = str(digest % 10**UID_DIGITS).rjust(UID_DIGITS, "0")
        return UID_ROOT + "1" + digits[1:]  # a component must not start with 0

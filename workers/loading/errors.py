"""Why a folder or a series could not be turned into volumes."""

from __future__ import annotations


class LoaderError(Exception):
    """Nothing in the folder can be analysed; the message says what was found instead."""


class UnusableSeriesError(Exception):
    """One series cannot become a volume; ``reason`` is short, plain and free of patient data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

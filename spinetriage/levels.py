"""Vertebral levels, top to bottom, and the arithmetic on them.

The contract names C1 to C7, T1 to T12, L1 to L5 and S1 (the sacrum as one level). Levels are
compared and counted by their position in that sequence."""

from __future__ import annotations

LEVELS: tuple[str, ...] = (
    *(f"C{n}" for n in range(1, 8)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    "S1",
)
EN_DASH = "\u2013"
_POSITION = {name: i for i, name in enumerate(LEVELS)}


def level_position(name: str) -> int:
    """Index of a level from C1 = 0 down to S1 = 24; ValueError for anything else."""
    try:
        return _POSITION[name]
    except KeyError:
        message = f"name: {name!r} is not a vertebral level (C1-C7, T1-T12, L1-L5, S1)"
        raise ValueError(message) from None


def level_at(position: int) -> str | None:
    """The level at a position, or None outside C1..S1."""
    return LEVELS[position] if 0 <= position < len(LEVELS) else None


def is_level(name: object) -> bool:
    return isinstance(name, str) and name in _POSITION


def level_span(from_level: str | None, to_level: str | None) -> str | None:
    """Levels as a radiologist writes them, with an en dash: "C5\u2013T2"; "T4" for one."""
    if from_level is None or to_level is None:
        return None
    return from_level if from_level == to_level else f"{from_level}{EN_DASH}{to_level}"


def levels_apart(a: str, b: str) -> int:
    """How many levels separate two levels (0 for the same one)."""
    return abs(level_position(a) - level_position(b))

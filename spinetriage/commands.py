"""What a command of the ``spinetriage`` entry point is. Each side of the project declares its
own commands under the ``spinetriage.commands`` entry-point group."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

from spinetriage.config import Settings


def _no_arguments(_parser: argparse.ArgumentParser) -> None:
    return None


@dataclass(frozen=True)
class Command:
    help: str
    run: Callable[[argparse.Namespace, Settings], int]
    configure: Callable[[argparse.ArgumentParser], None] = field(default=_no_arguments)

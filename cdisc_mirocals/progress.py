"""Progress on a terminal, silence when piped or in CI."""

from __future__ import annotations

import os
import sys
from typing import Iterable, TypeVar

import click

T = TypeVar("T")


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def progress(items: Iterable[T], label: str) -> Iterable[T]:
    """A progress bar over `items` on an interactive terminal; the plain iterable otherwise."""
    if not interactive():
        yield from items
        return
    items = list(items)
    with click.progressbar(items, label=label, file=sys.stderr, show_pos=True,
                           item_show_func=lambda x: str(x) if x is not None else None) as bar:
        yield from bar

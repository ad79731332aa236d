"""Packages that extend `seed` through entry points (commands, converters), loaded so that one broken
package cannot take the others down: it is left out with a warning naming it and its error."""
from __future__ import annotations

import logging
from importlib.metadata import EntryPoint, entry_points
from typing import Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
_warned: set[tuple[str, str]] = set()


def load_extensions(group: str, load: Callable[[EntryPoint], T]) -> list[T]:
    """`load(entry)` for every entry point of `group`, in name order, leaving out (with one warning per
    process) those whose code fails to import."""
    loaded = []
    for entry in sorted(entry_points(group=group), key=lambda e: e.name):
        try:
            loaded.append(load(entry))
        except Exception as error:  # any error while importing someone else's package
            if (group, entry.name) not in _warned:
                _warned.add((group, entry.name))
                source = f" of {entry.dist.name}" if entry.dist is not None else ""
                log.warning("seed: skipping the %s extension %r (%s%s), which failed to import: %s: %s",
                            group, entry.name, entry.value, source, type(error).__name__, error)
    return loaded

"""A name -> object registry, so adding a model, layout or objective never edits a switch."""
from __future__ import annotations

from typing import Callable, Generic, Iterator, TypeVar

from seed.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects; `register` works as a decorator or a plain call."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str | None = None, obj: T | None = None) -> Callable[[T], T] | T:
        def add(item: T) -> T:
            key = name or getattr(item, "__name__")
            if key in self._items:
                raise KeyError(f"{self.kind} {key!r} is already registered")
            self._items[key] = item
            return item

        return add(obj) if obj is not None else add

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def names(self) -> list[str]:
        return sorted(self._items)

    def values(self) -> list[T]:
        """Registered objects in registration order."""
        return list(self._items.values())

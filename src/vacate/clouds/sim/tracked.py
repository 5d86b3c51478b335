"""A dict that remembers which keys were set or deleted: what a session must write back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TrackedDict(dict[K, V]):
    """A plain dict to its readers; ``changed`` and ``deleted`` name the keys written since the
    last ``settle``, so saving a state touches the rows that changed and no others."""

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        super().__init__(items or {})
        self.changed: set[K] = set()
        self.deleted: set[K] = set()

    def settle(self) -> None:
        self.changed.clear()
        self.deleted.clear()

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.changed.add(key)
        self.deleted.discard(key)

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self.changed.discard(key)
        self.deleted.add(key)

    def pop(self, key: K, *default: Any) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def popitem(self) -> tuple[K, V]:
        key, value = super().popitem()
        self.changed.discard(key)
        self.deleted.add(key)
        return key, value

    def setdefault(self, key: K, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        other: Iterable[tuple[K, V]] = dict(*args, **kwargs).items()
        for key, value in other:
            self[key] = value

    def clear(self) -> None:
        self.deleted.update(self.keys())
        self.changed.clear()
        super().clear()

"""A dict that remembers which keys were set or deleted: what a session must write back; and
the instances' table, which also keeps them by host and in listing order, so that a call that
reads one host's instances (or lists them all) costs what it returns, not a scan and a sort."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from vacate.domain.model import Instance

K = TypeVar("K")
V = TypeVar("V")


class TrackedDict(dict[K, V]):
    """A plain dict to its readers; ``changed`` and ``deleted`` name the keys written since the
    last ``settle``, so saving a state touches the rows that changed and no others."""

    def __init__(self, items: Mapping[K, V] | None = None) -> None:
        super().__init__(items or {})
        self.changed: set[K] = set()
        self.deleted: set[K] = set()
        self._sorted: list[K] | None = None  # the keys in order, until one is added or removed

    def settle(self) -> None:
        self.changed.clear()
        self.deleted.clear()

    def sorted_keys(self) -> list[K]:
        """The keys in sorted order (kept between calls while no key comes or goes)."""
        if self._sorted is None:
            self._sorted = sorted(self)  # type: ignore[type-var]
        return self._sorted

    def __setitem__(self, key: K, value: V) -> None:
        if self._sorted is not None and key not in self:
            self._sorted = None
        super().__setitem__(key, value)
        self.changed.add(key)
        self.deleted.discard(key)

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._sorted = None
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
        self._sorted = None
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
        self._sorted = None
        super().clear()


class InstanceTable(TrackedDict[str, Instance]):
    """Instances by id, also by host (``on``) and in listing order (``listed``: by name, then
    id), both kept up to date by every write."""

    def __init__(self, items: Mapping[str, Instance] | None = None) -> None:
        super().__init__(items)
        self._on: dict[str | None, dict[str, None]] = {}
        self._order: list[str] | None = None
        for key, inst in self.items():
            self._on.setdefault(inst.host, {})[key] = None

    def on(self, host: str | None) -> list[Instance]:
        """The instances on ``host``, by name then id."""
        found = [self[k] for k in self._on.get(host, ())]
        found.sort(key=lambda i: (i.name, i.id))
        return found

    def listed(self) -> list[Instance]:
        """Every instance, by name then id."""
        if self._order is None:
            self._order = sorted(self, key=lambda k: (self[k].name, k))
        return [self[k] for k in self._order]

    def __setitem__(self, key: str, value: Instance) -> None:
        old = self.get(key)
        if old is not None:
            self._unplace(key, old)
        super().__setitem__(key, value)
        self._on.setdefault(value.host, {})[key] = None
        if old is None or old.name != value.name:
            self._order = None

    def __delitem__(self, key: str) -> None:
        old = self[key]
        super().__delitem__(key)
        self._unplace(key, old)
        self._order = None

    def popitem(self) -> tuple[str, Instance]:
        if not self:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self))
        value = self[key]
        del self[key]
        return key, value

    def clear(self) -> None:
        super().clear()
        self._on.clear()
        self._order = None

    def _unplace(self, key: str, inst: Instance) -> None:
        where = self._on.get(inst.host)
        if where is not None:
            where.pop(key, None)
            if not where:
                del self._on[inst.host]

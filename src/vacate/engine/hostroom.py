"""Host states worked out one host at a time, on first use: what a tick's placements read.

A tick that starts moves re-checks each planned destination; it needs that host's free room,
not every host's. ``LazyHostStates`` is a mapping of every host name to its state that builds a
host's state only when it is asked for (from the tick's one look at the cloud), and all of them
at once when something walks the whole mapping (a re-placement over every host), so a tick
costs what it places, not what the cloud holds. The states are those ``build_host_states`` gives.

Even the names are read only when something needs them all (a walk, a count, the names in
order): asking whether one host is there, or for its state, looks up that host alone. The
answers are those of a mapping built from the full listing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping, Sequence

from vacate.domain.model import HostName
from vacate.planning.hoststate import HostState

#: Past this share of the hosts built one by one, the rest are built in one pass.
_BULK_SHARE = 0.1


class LazyHostStates(MutableMapping[HostName, HostState]):
    """Every host's state by name, in name order; see the module docstring.

    ``names`` lists every host (called once, when first needed), ``exists`` says whether one
    host is there without listing them, ``one`` builds a host's state, ``every`` all of them.
    """

    def __init__(
        self,
        names: Callable[[], Sequence[HostName]],
        one: Callable[[HostName], HostState],
        every: Callable[[], dict[HostName, HostState]],
        exists: Callable[[HostName], bool] | None = None,
    ) -> None:
        self._list = names
        self._exists = exists
        self._names: list[HostName] | None = None
        self._known: frozenset[HostName] = frozenset()
        self._added: set[HostName] = set()  # names the caller set or removed before the
        self._removed: set[HostName] = set()  # listing was read, applied to it when it is
        self._one = one
        self._every = every
        self._made: dict[HostName, HostState] = {}
        self._set: dict[HostName, HostState] = {}  # written by the caller: these win
        self._complete = False
        if exists is None:
            self._load()

    def _load(self) -> list[HostName]:
        if self._names is None:
            known = (set(self._list()) | self._added) - self._removed
            self._names = sorted(known)
            self._known = frozenset(known)
        return self._names

    def sorted_names(self) -> Sequence[HostName]:
        return self._load()

    def __getitem__(self, name: HostName) -> HostState:
        if name in self._set:
            return self._set[name]
        found = self._made.get(name)
        if found is not None:
            return found
        if name not in self:
            raise KeyError(name)
        if self._names is not None and len(self._made) >= _BULK_SHARE * len(self._names):
            self._fill()
            return self._made[name]
        found = self._made[name] = self._one(name)
        return found

    def _fill(self) -> None:
        if not self._complete:
            self._made = self._every()
            self._complete = True

    def __setitem__(self, name: HostName, state: HostState) -> None:
        if name not in self:
            if self._names is None:
                self._added.add(name)
                self._removed.discard(name)
            else:
                self._known = self._known | {name}
                self._names = sorted(self._known)
        self._set[name] = state

    def __delitem__(self, name: HostName) -> None:
        if name not in self:
            raise KeyError(name)
        if self._names is None:
            self._removed.add(name)
            self._added.discard(name)
        else:
            self._known = self._known - {name}
            self._names = [n for n in self._names if n != name]
        self._set.pop(name, None)
        self._made.pop(name, None)

    def __contains__(self, name: object) -> bool:
        if self._names is not None or self._exists is None:
            return name in self._known
        if not isinstance(name, str) or name in self._removed:
            return False
        return name in self._added or name in self._made or self._exists(HostName(name))

    def __iter__(self) -> Iterator[HostName]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

"""Reading a Server-Sent Events stream line by line, as a browser's ``EventSource`` does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    id: str
    event: str
    data: str


def frames(lines: Iterable[str]) -> Iterator[Frame]:
    """Each event of the stream; comments (keep-alives) and ``retry:`` lines are skipped, a
    multi-line ``data`` is joined with newlines."""
    fields: dict[str, list[str]] = {}
    for line in lines:
        if line == "":
            if "data" in fields:
                yield Frame(
                    id=(fields.get("id") or [""])[-1],
                    event=(fields.get("event") or ["message"])[-1],
                    data="\n".join(fields["data"]),
                )
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields.setdefault(name, []).append(value.removeprefix(" "))

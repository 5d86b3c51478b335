"""Help screens say only what an option takes: a flag takes nothing.

Typer's Rich help shows a type for every option, ``<bool>`` for flags too, which reads as if
``--live`` wanted a value (``--live true``). Flags show no type; every other option keeps its.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperOption

_typed = TyperOption.display_type_rich


def _display_type_rich(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag and self.metavar is None:
        return None
    return _typed(self, ctx)


def install() -> None:
    """Once, before any help is printed (``vacate.cli`` does it on import)."""
    TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]

"""A credential that cannot leak by accident: its ``str``, ``repr`` and format are ``***``.

Only the Redfish client ever calls ``reveal()``; everything else (a config object's repr, a log
line, an f-string in an error) sees the mask.
"""

from __future__ import annotations

MASK = "***"


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the secret masked (for a BMC's own error text)."""
        return text.replace(self._value, MASK) if self._value else text

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is never pickled")

"""Durable storage for Vacate: the Store port on SQLite (embedded default) or PostgreSQL.

``open_store(url)`` is the one entry point: it builds the engine with the settings concurrent
use needs and migrates the schema to the current revision before handing out the store.
"""

from __future__ import annotations

from vacate.store.migrate import upgrade
from vacate.store.sql import SqlStore, make_engine

__all__ = ["SqlStore", "open_store"]


def open_store(url: str) -> SqlStore:
    """Open (creating or upgrading as needed) the store at ``url``.

    ``sqlite:///path/to/vacate.db`` or ``postgresql+psycopg://user@host/db``.
    """
    engine = make_engine(url)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)

"""The simulated cloud's SQLite file: one row per host, instance, group and migration.

A row holds the record's JSON (the codec's dicts), so a session writes only the records it
changed and a reader decodes only what is stored. ``meta`` holds the scalars: the format
version, the clock, the id counter, injected failures and deaths, and ``generation``, bumped by
every write, which tells a process whether its cached copy is still the cloud.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from vacate.clouds.sim.codec import (
    group_from_dict,
    group_to_dict,
    host_from_dict,
    host_to_dict,
    instance_from_dict,
    instance_to_dict,
)
from vacate.clouds.sim.tracked import InstanceTable, TrackedDict
from vacate.clouds.sim.transfer import Transfer

#: Version 1 was one JSON document; version 2 is this database.
DB_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS instances (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transfers (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
"""

_DUMP = json.JSONEncoder(separators=(",", ":")).encode


def dump(value: Any) -> str:
    return _DUMP(value)


#: table → (the SimState field it holds, encode a record, decode a row's dict).
TABLES: dict[str, tuple[str, Any, Any]] = {
    "hosts": ("hosts", host_to_dict, host_from_dict),
    "instances": ("instances", instance_to_dict, instance_from_dict),
    "groups": ("groups", group_to_dict, group_from_dict),
    "transfers": ("transfers", Transfer.to_dict, Transfer.from_dict),
}


def read_table(db: sqlite3.Connection, table: str) -> TrackedDict[Any, Any]:
    _, _, decode = TABLES[table]
    docs = [doc for (doc,) in db.execute(f"SELECT doc FROM {table}")]
    records = (decode(d) for d in json.loads("[" + ",".join(docs) + "]"))  # one parse, not N
    key = "name" if table == "hosts" else "id"
    found = {getattr(r, key): r for r in records}
    return InstanceTable(found) if table == "instances" else TrackedDict(found)


def write_rows(
    db: sqlite3.Connection, table: str, records: Iterable[Any], deleted: Iterable[str] = ()
) -> None:
    _, encode, _ = TABLES[table]
    key = "name" if table == "hosts" else "id"
    db.executemany(
        f"INSERT OR REPLACE INTO {table} ({key}, doc) VALUES (?, ?)",
        ((getattr(r, key), dump(encode(r))) for r in records),
    )
    db.executemany(
        f"DELETE FROM {table} WHERE {key} = ?",
        ((k,) for k in deleted),
    )


def read_meta(db: sqlite3.Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}


def write_meta(db: sqlite3.Connection, values: dict[str, Any]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        ((k, dump(v)) for k, v in values.items()),
    )


def generation(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def record_count(db: sqlite3.Connection) -> int:
    """Hosts and instances in the file: how large a load will be, before it is made."""
    row = db.execute("SELECT (SELECT count(*) FROM hosts) + (SELECT count(*) FROM instances)")
    return int(row.fetchone()[0])

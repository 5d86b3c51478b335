"""Actors, the undo record and the inbound wait in columns, per-job event numbers, retry times.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Existing events are numbered per job in their global order, so a database written by 0001
keeps its history readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JOB_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("actor_role", sa.String(length=16), server_default="admin", nullable=False),
    sa.Column("actor_origin", sa.String(length=255), server_default="", nullable=False),
    sa.Column("found_state", sa.String(length=16), server_default="operational", nullable=False),
    sa.Column("found_reason", sa.Text(), server_default="", nullable=False),
    sa.Column("waiting_since", sa.Float(), nullable=True),
    sa.Column("event_seq", sa.Integer(), server_default="0", nullable=False),
)
_EVENT_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("job_seq", sa.Integer(), server_default="0", nullable=False),
    sa.Column("actor_name", sa.String(length=255), server_default="", nullable=False),
    sa.Column("actor_role", sa.String(length=16), server_default="", nullable=False),
    sa.Column("actor_origin", sa.String(length=255), server_default="", nullable=False),
)


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        for column in _JOB_COLUMNS:
            batch.add_column(column)
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("not_before", sa.Float(), nullable=True))
    with op.batch_alter_table("events") as batch:
        for column in _EVENT_COLUMNS:
            batch.add_column(column)
    op.execute(
        "UPDATE events SET job_seq = (SELECT COUNT(*) FROM events AS e "
        "WHERE e.job_id = events.job_id AND e.seq <= events.seq)"
    )
    op.execute(
        "UPDATE jobs SET event_seq = (SELECT COUNT(*) FROM events WHERE events.job_id = jobs.id)"
    )
    op.create_index("uq_events_job_id_job_seq", "events", ["job_id", "job_seq"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_events_job_id_job_seq", table_name="events")
    with op.batch_alter_table("events") as batch:
        for column in _EVENT_COLUMNS:
            batch.drop_column(column.name)
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("not_before")
    with op.batch_alter_table("jobs") as batch:
        for column in _JOB_COLUMNS:
            batch.drop_column(column.name)

"""Drain schedule: each task keeps what the plan expected of its move (approach, start,
duration, downtime, streams), so results can be held against the prediction.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

One nullable column, so a database written by 0004 keeps every task it had (without one).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("prediction", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("prediction")

"""Alembic revisions, written by hand; Alembic skips this file."""

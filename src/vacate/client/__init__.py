"""What a CLI command asks of Vacate, whether Vacate runs in this process or behind a server.

``base.Client`` is the one interface: a method per command, answering the JSON documents the
REST API answers (``vacate.serialize`` builds them on both sides). ``local.LocalClient`` calls
the engine's service layer in-process; ``http.HttpClient`` calls a ``vacate serve`` over HTTP.
A command is written once against the interface, and ``decode`` turns documents into the
values the tables render, so its table, its ``-f json`` and its exit code are the same either
way.
"""

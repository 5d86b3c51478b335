"""The pure core: hosts, instances, maintenance states, jobs and results.

Nothing here does I/O or imports a storage, HTTP, CLI or cloud library; an import-linter
contract in pyproject.toml keeps it so.
"""

"""The steps jobs are made of. Each has one job, is idempotent, reads its ``Tick`` and returns
what changed; ``vacate.engine.workflows`` lists them per job kind."""

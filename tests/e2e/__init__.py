"""End-to-end tests: the real ``vacate`` console script in subprocesses, one VACATE_HOME each."""

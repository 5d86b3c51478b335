"""The ``vacate`` command line: Rich tables and progress, ``-f json``, exit codes scripts trust."""

"""The ``vacate`` command line: Rich tables and progress, ``-f json``, exit codes scripts trust."""

from vacate.cli.helptext import install as _install_help

_install_help()

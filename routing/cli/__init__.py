"""The ``reroute`` command: commands, the client, text reports, plan output.

:mod:`routing.cli.main` parses the command line and dispatches; :mod:`~routing.cli.admin`
``db`` and ``keys``; :mod:`~routing.cli.client` the channel and key a client command uses;
:mod:`~routing.cli.report` readable text for a decision; :mod:`~routing.cli.plan_output` the
files and the summary of a batch plan.

May import: every layer (it sits on top) and ``reroute.v1``.
"""

from __future__ import annotations

from routing.cli.main import main

__all__ = [
    "main",
]

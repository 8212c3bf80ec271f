"""The ``reroute`` command: commands, the client, text reports, plan output.

:mod:`routing.cli.main` parses the command line and dispatches to the commands:
:mod:`~routing.cli.route_cmd` ``route`` and ``customs``; :mod:`~routing.cli.batch_cmd`
``plan``, ``generate-returns`` and ``whatif``; :mod:`~routing.cli.server_cmd` ``serve`` and
``network check``; :mod:`~routing.cli.admin` ``db`` and ``keys``. :mod:`~routing.cli.flags`
holds what they share (exit codes, UsageError, flag readers); :mod:`~routing.cli.client` the
channel and key a client command uses; :mod:`~routing.cli.report` readable text for a
decision; :mod:`~routing.cli.plan_output` the files and the summary of a batch plan.

May import: every layer (it sits on top) and ``reroute.v1``.
"""

from __future__ import annotations

from routing.cli.main import main

__all__ = [
    "main",
]

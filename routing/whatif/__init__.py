"""What-if: scenarios, the policies compared, KPIs, the HTML report.

:mod:`routing.whatif.scenario` reads scenario files (``docs/scenario_format.md``);
:mod:`~routing.whatif.apply` applies a variant's changes to the network, customs rules and
batch; :mod:`~routing.whatif.policies` prices the policies on one plan problem;
:mod:`~routing.whatif.kpis` measures a plan (and where it differs from local first);
:mod:`~routing.whatif.runner` runs the variants on an executor;
:mod:`~routing.whatif.headline` writes the answer and findings the report leads with;
:mod:`~routing.whatif.report`, :mod:`~routing.whatif.charts`, :mod:`~routing.whatif.basemap`
and :mod:`~routing.whatif.fmt` write the report.

May import: ``routing.plan``, ``routing.decide``, ``routing.solver``, ``routing.batches``,
``routing.errors``, ``customs``, ``hubs``. Never the edge or the wire contract.
"""

from __future__ import annotations

from routing.whatif.report import write_report
from routing.whatif.runner import ProgressBar, run_scenario
from routing.whatif.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "ProgressBar",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "run_scenario",
    "write_report",
]

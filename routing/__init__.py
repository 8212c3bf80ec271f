"""reroute's product layers, one subpackage each (see README "Layout").

Imports run one way, from the top of this list to the bottom, never upward::

    cli/      the ``reroute`` command: commands, client, text reports, plan output
    rpc/      the gRPC edge: server factory, servicers, wire conversion, status mapping,
              auth, limits, the application layer the servicers delegate to
    whatif/   scenarios, policies, KPIs, the HTML report
    store/    decisions, tenants and plan jobs kept in SQL (or memory), migrations
    plan/     a batch: the planner, decomposition, executors, plan jobs
    batches/  batch files, the generator, example returns
    decide/   one return: the compiled network, costing, the router, split, quote
    solver/   the one adapter for every solver call and the algorithms beside it

``errors`` (the one exception tree) and ``observe`` (metrics, logs) are leaves every layer may
import. ``customs`` and ``hubs`` sit below all of ``routing``; only ``rpc`` and ``cli`` import
the wire contract ``reroute.v1``.
"""

__all__: list[str] = []  # the layers are the public surface: import from routing.<layer>

"""A batch: the planner, decomposition into independent parts, executors, plan jobs.

:mod:`routing.plan.planner` turns a batch of returns into one solver problem (each return's
options from the router) and reads the plan back; :mod:`~routing.plan.decompose` solves
independent parts apart; :mod:`~routing.plan.executor` runs them in this process, a process
pool or on Ray; :mod:`~routing.plan.jobs` keeps and runs plan jobs (the JobStore protocol).

May import: ``routing.decide``, ``routing.solver``, ``routing.errors``, ``routing.observe``,
``hubs``, ``customs``. Never a store implementation, the edge or the wire contract.
"""

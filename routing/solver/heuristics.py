"""Quick plans without a solver: the greedy plan and a local search.

:func:`greedy` assigns classes by decreasing total demand to their cheapest options by marginal
cost per unit; :func:`_local_search` improves a plan of a count-1, lane-free problem (the
SSCFLP shape) by shift and swap moves, :func:`_facility_search` by facility moves (close, open,
swap) and iterated local search. AUTO and the Lagrangian heuristic build on them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from routing.solver.arrays import BoolArray, IntArray, _Arrays, _compile, _to_assignment
from routing.solver.problem import Assignment, PlanProblem


def greedy(problem: PlanProblem) -> Assignment:
    """A quick plan: classes by decreasing total demand, each to its cheapest options by
    marginal cost per unit (fixed costs and new dispatches included) among those with room.

    Capacities are respected whenever the remaining room allows it; a class that fits nowhere
    goes to its cheapest option regardless (check ``problem.evaluate(plan).feasible``).
    """
    arr = _compile(problem)
    return _to_assignment(arr, _greedy_units(arr, None))


def _greedy_units(
    arr: _Arrays, open_mask: BoolArray | None, prefer: BoolArray | None = None
) -> IntArray:
    """Greedy by marginal cost per unit; ``open_mask`` restricts facilities with a fixed cost
    while room lasts, ``prefer`` marks options tried first (a relaxation's choice)."""
    units = np.zeros(arr.n_options, dtype=np.int64)
    load = np.zeros(arr.n_facilities, dtype=np.int64)
    used = np.zeros(arr.n_facilities, dtype=bool)
    lane_load = np.zeros(len(arr.lane_cap), dtype=np.int64)
    cost, fac, lane = arr.opt_cost.tolist(), arr.opt_fac.tolist(), arr.opt_lane.tolist()
    opt_load, cap, fixed = arr.opt_load.tolist(), arr.cap.tolist(), arr.fixed.tolist()
    has_fixed = arr.has_fixed.tolist()
    order = np.argsort(-(arr.demand * arr.count), kind="stable").tolist()
    for k in order:
        dem, remaining = int(arr.demand[k]), int(arr.count[k])
        options = range(int(arr.start[k]), int(arr.start[k + 1]))
        for restrict in (True, False, None):
            while remaining > 0:
                best, best_fit, best_rate = -1, 0, math.inf
                for g in options:
                    i = fac[g]
                    if i >= 0:
                        if restrict and open_mask is not None and has_fixed[i] and not open_mask[i]:
                            continue
                        room = cap[i] - int(load[i])
                        fit = remaining if dem == 0 else min(remaining, room // dem)
                        if restrict is None:
                            fit = remaining  # nothing fits anywhere: overflow, cheapest option
                        if fit <= 0:
                            continue
                        extra = fixed[i] if has_fixed[i] and not used[i] else 0
                    else:
                        fit, extra = remaining, 0
                    ln = lane[g]
                    if ln >= 0:
                        before = -(-int(lane_load[ln]) // int(arr.lane_cap[ln]))
                        after = -(
                            -(int(lane_load[ln]) + opt_load[g] * fit) // int(arr.lane_cap[ln])
                        )
                        extra += int(arr.lane_fixed[ln]) * (after - before)
                    rate = cost[g] + extra / fit
                    if prefer is not None and prefer[g]:
                        rate -= _BIG
                    if rate < best_rate:
                        best, best_fit, best_rate = g, fit, rate
                if best < 0:
                    break
                units[best] += best_fit
                remaining -= best_fit
                i = fac[best]
                if i >= 0:
                    load[i] += dem * best_fit
                    used[i] = True
                if lane[best] >= 0:
                    lane_load[lane[best]] += opt_load[best] * best_fit
            if remaining == 0:
                break
    return units


@dataclass(frozen=True)
class _Dense:
    """Count-1, lane-free problems as matrices (facility x class) for local search."""

    cost: IntArray  # (M, K), huge where the class has no option at the facility
    option: IntArray  # (M, K) global option id or -1


_BIG = 10**15


def _dense(arr: _Arrays) -> _Dense | None:
    if (arr.count != 1).any() or (arr.opt_lane >= 0).any() or (arr.opt_fac < 0).any():
        return None
    m, k = arr.n_facilities, arr.n_classes
    cost = np.full((m, k), _BIG, dtype=np.int64)
    option = np.full((m, k), -1, dtype=np.int64)
    for g in range(arr.n_options - 1, -1, -1):  # the first option wins on duplicates
        i, c = int(arr.opt_fac[g]), int(arr.opt_class[g])
        if arr.opt_ub[g] >= 1 and arr.opt_cost[g] <= cost[i, c]:
            cost[i, c], option[i, c] = arr.opt_cost[g], g
    return _Dense(cost, option)


def _local_search(arr: _Arrays, dense: _Dense, units: IntArray, deadline: float) -> IntArray:
    """Shift and swap moves (best improvement) on a count-1, lane-free plan."""
    c, d, s = dense.cost, arr.demand, arr.cap
    f = np.where(arr.has_fixed, arr.fixed, 0)
    m, n = c.shape
    cols = np.arange(n)
    a = np.empty(n, dtype=np.int64)
    for g in np.nonzero(units)[0]:
        a[arr.opt_class[g]] = arr.opt_fac[g]
    load = np.bincount(a, weights=d.astype(np.float64), minlength=m).astype(np.int64)
    cnt = np.bincount(a, minlength=m)
    for _ in range(100 * n):
        if time.monotonic() > deadline:
            break
        cur = c[a, cols]
        open_cost = np.where(cnt > 0, 0, f)[:, None]
        close_gain = np.where(cnt[a] == 1, f[a], 0)[None, :]
        delta = (c - cur[None, :] + open_cost - close_gain).astype(np.float64)
        delta[load[:, None] + d[None, :] > s[:, None]] = np.inf
        delta[a, cols] = np.inf
        flat = int(np.argmin(delta))
        i, j = divmod(flat, n)
        if delta[i, j] < 0:
            o = a[j]
            a[j] = i
            load[o] -= d[j]
            load[i] += d[j]
            cnt[o] -= 1
            cnt[i] += 1
            continue
        at = c[a, :]
        swap = (at + at.T - cur[:, None] - cur[None, :]).astype(np.float64)
        slack = s[a] - load[a]
        ok = (slack[:, None] + d[:, None] - d[None, :] >= 0) & (
            slack[None, :] + d[None, :] - d[:, None] >= 0
        )
        swap[~ok | (a[:, None] == a[None, :])] = np.inf
        flat = int(np.argmin(swap))
        j1, j2 = divmod(flat, n)
        if swap[j1, j2] >= 0:
            break
        i1, i2 = a[j1], a[j2]
        a[j1], a[j2] = i2, i1
        load[i1] += d[j2] - d[j1]
        load[i2] += d[j1] - d[j2]
    out = np.zeros(arr.n_options, dtype=np.int64)
    out[dense.option[a, cols]] = 1
    return out


def _facility_search(
    arr: _Arrays, dense: _Dense, units: IntArray, deadline: float, seed: int = 0
) -> IntArray:
    """Facility moves on a count-1, lane-free plan: close an open facility, open a closed
    one, or swap one for the other, each followed by shift/swap descent (:func:`_local_search`);
    then, while time lasts, iterated local search: close one or two random open facilities,
    repair greedily, descend, keep the result when it is cheaper (the usual move set of
    SSCFLP heuristics, e.g. Ahuja et al. 2004's very large neighbourhoods in miniature)."""
    c, d, s = dense.cost, arr.demand.astype(np.int64), arr.cap.astype(np.int64)
    f = np.where(arr.has_fixed, arr.fixed, 0).astype(np.int64)
    m, n = c.shape
    cols = np.arange(n)
    rng = np.random.default_rng(seed)

    def assignment(u: IntArray) -> IntArray:
        a = np.empty(n, dtype=np.int64)
        for g in np.nonzero(u)[0]:
            a[arr.opt_class[g]] = arr.opt_fac[g]
        return a

    def to_units(a: IntArray) -> IntArray:
        out = np.zeros(arr.n_options, dtype=np.int64)
        out[dense.option[a, cols]] = 1
        return out

    def total(a: IntArray) -> int:
        return int(c[a, cols].sum() + f[np.unique(a)].sum())

    def repair(a: IntArray, movers: IntArray, allowed: BoolArray) -> IntArray | None:
        """Reassign ``movers`` (largest demand first) to their cheapest allowed facility
        with room; None when one fits nowhere."""
        a = a.copy()
        load = np.bincount(a, weights=d.astype(np.float64), minlength=m).astype(np.int64)
        load -= np.bincount(a[movers], weights=d[movers].astype(np.float64), minlength=m).astype(
            np.int64
        )
        for j in movers[np.argsort(-d[movers], kind="stable")]:
            room = allowed & (load + d[j] <= s) & (c[:, j] < _BIG)
            if not room.any():
                return None
            i = int(np.argmin(np.where(room, c[:, j], _BIG)))
            a[j] = i
            load[i] += d[j]
        return a

    def descend(a: IntArray) -> IntArray:
        return assignment(_local_search(arr, dense, to_units(a), deadline))

    a = descend(assignment(units))
    best = total(a)
    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        is_open = np.bincount(a, minlength=m) > 0
        # close i (optionally opening k instead): its customers go to the open rest
        for i in np.nonzero(is_open)[0]:
            movers = np.nonzero(a == i)[0]
            for k in [-1, *np.nonzero(~is_open)[0].tolist()]:
                if time.monotonic() > deadline:
                    break
                allowed = is_open.copy()
                allowed[i] = False
                if k >= 0:
                    allowed[k] = True
                cand = repair(a, movers, allowed)
                if cand is not None and total(cand) < best:
                    cand = descend(cand)
                    if total(cand) < best:
                        a, best, improved = cand, total(cand), True
                        break
            if improved:
                break
        if improved:
            continue
        # open k: customers that gain move to it, best saving per unit of demand first
        for k in np.nonzero(~is_open)[0].tolist():
            gain = c[a, cols] - c[k]
            order = np.argsort(-gain / np.maximum(d, 1), kind="stable")
            cand, room = a.copy(), int(s[k])
            for j in order:
                if gain[j] <= 0:
                    break
                if d[j] <= room:
                    cand[j], room = k, room - int(d[j])
            if total(cand) < best:
                cand = descend(cand)
                if total(cand) < best:
                    a, best, improved = cand, total(cand), True
                    break
    # iterated local search: perturb (close one or two open facilities), repair, descend;
    # stop after as many fruitless perturbations in a row as there are facilities
    stall = 0
    while time.monotonic() < deadline and stall < max(10, m):
        stall += 1
        is_open = np.bincount(a, minlength=m) > 0
        opened = np.nonzero(is_open)[0]
        if len(opened) < 2:
            break
        shut = rng.choice(opened, size=min(len(opened) - 1, int(rng.integers(1, 3))), replace=False)
        allowed = np.ones(m, dtype=bool)
        allowed[shut] = False
        movers = np.nonzero(np.isin(a, shut))[0]
        cand = repair(a, movers, allowed)
        if cand is None:
            continue
        cand = descend(cand)
        if total(cand) < best:
            a, best, stall = cand, total(cand), 0
    return to_units(a)

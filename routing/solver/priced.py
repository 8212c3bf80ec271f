"""Price-and-repair for plan problems too large for one MIP (a million returns).

A MIP over millions of option variables does not fit in memory on a planner's machine (HiGHS
through MathOpt passed 20 GB on a million generated returns). At that size the LP relaxation is
tight (a lane's rounding is one dispatch among thousands), so a Lagrangian relaxation of the
few coupling rows gives both a near-optimal plan and a valid bound, in numpy, in seconds:

    L(mu) = sum_k count_k min_o (c_o + mu_i(o) demand_k + lambda_l(o) load_o) - sum_i mu_i cap_i

with ``mu >= 0`` on the facility capacity rows (subgradient steps) and the lane prices
``lambda_l`` fixed at a dispatch's cost per unit of its capacity (``z_l >= 0`` is free, so any
``lambda_l <= fixed_l / cap_l`` keeps the relaxation bounded; at the LP optimum of a used lane
it equals it). ``L(mu)`` is a lower bound of every plan for every such ``mu``.

Plans come from the prices: each class takes its cheapest priced option, classes over a
facility's capacity move, cheapest regret per unit of capacity first, to their next option with
room (an overflow twin always has room), then classes move to a cheaper real option wherever
there is room, and lanes whose last dispatch carries little shed it when that saves money.
Costs and feasibility are recomputed from the plan, never taken from the prices.
"""

from __future__ import annotations

import math
import time

import numpy as np

from routing.solver.arrays import (
    FloatArray,
    IntArray,
    _Arrays,
    _ceil,
    _close_enough,
    _facility_loads,
    _lane_loads,
    _plan_cost,
)
from routing.solver.backends import _box_master
from routing.solver.progress import _Incumbent, _Reporter

# Above this many option variables in a part, AUTO prices instead of building one MIP: 100k
# generated returns (179k options; largest part 61k) solve as HiGHS MIPs in ~10 s and ~0.5 GB,
# a million (1.5M options in a part) exhausted 20 GB.
LARGE_OPTIONS = 250_000
_MAX_ITERATIONS = 200  # evaluations of L (one pass over the options each)


def applies(arr: _Arrays) -> bool:
    """Whether AUTO should price ``arr`` rather than solve one MIP."""
    return arr.n_options > LARGE_OPTIONS and not bool(arr.has_fixed.any())


class _Prices:
    """The relaxation's fixed parts: per option its cost with the lane share, its demand."""

    def __init__(self, arr: _Arrays) -> None:
        self.arr = arr
        lane_price = np.append(arr.lane_fixed / np.maximum(arr.lane_cap, 1), 0.0)
        self.base: FloatArray = arr.opt_cost + lane_price[arr.opt_lane] * arr.opt_load
        self.opt_dem: FloatArray = arr.demand[arr.opt_class].astype(np.float64)
        self.fac: IntArray = np.where(arr.opt_fac >= 0, arr.opt_fac, arr.n_facilities)
        self.heads: IntArray = arr.start[:-1]
        self.cap: FloatArray = arr.cap.astype(np.float64)
        self.units: FloatArray = (arr.count * arr.demand).astype(np.float64)

    def reduced(self, mu: FloatArray) -> FloatArray:
        return self.base + np.append(mu, 0.0)[self.fac] * self.opt_dem

    def evaluate(self, mu: FloatArray) -> tuple[float, IntArray, FloatArray]:
        """(L(mu), per class its cheapest priced option, subgradient on the capacity rows)."""
        arr = self.arr
        r = self.reduced(mu)
        best = np.minimum.reduceat(r, self.heads)
        value = float(arr.count @ best) - float(mu @ self.cap)
        chosen = _first_min(arr, r, best)
        fac = arr.opt_fac[chosen]
        at = fac >= 0
        load = np.bincount(fac[at], weights=self.units[at], minlength=arr.n_facilities)
        return value, chosen, load - self.cap


def _first_min(arr: _Arrays, r: FloatArray, best: FloatArray) -> IntArray:
    """Per class, the first option whose value is the class's minimum."""
    hits = np.flatnonzero(r <= best[arr.opt_class])
    cls = arr.opt_class[hits]
    first = np.ones(len(hits), dtype=bool)
    first[1:] = cls[1:] != cls[:-1]
    return hits[first]


def _units_of(arr: _Arrays, chosen: IntArray) -> IntArray:
    units = np.zeros(arr.n_options, dtype=np.int64)
    units[chosen] = arr.count
    return units


def _repair(arr: _Arrays, prices: _Prices, mu: FloatArray, chosen: IntArray) -> IntArray:
    """Move classes off facilities over capacity, least regret per unit of capacity first, to
    their best priced option where they fit (classes move whole; a class of several units that
    fits nowhere whole splits across options)."""
    units = _units_of(arr, chosen)
    r = prices.reduced(mu)
    fac_l = arr.opt_fac.tolist()
    load = np.bincount(
        arr.opt_fac[chosen][arr.opt_fac[chosen] >= 0],
        weights=prices.units[arr.opt_fac[chosen] >= 0],
        minlength=arr.n_facilities,
    ).astype(np.int64)
    cap = arr.cap
    for _ in range(arr.n_facilities + 1):
        over = np.flatnonzero(load > cap)
        if not len(over):
            break
        i = int(over[np.argmax(load[over] - cap[over])])
        # classes whose chosen option sits at facility i, by regret per unit of demand
        at_i = np.flatnonzero(arr.opt_fac[chosen] == i)
        alt = r.copy()
        alt[arr.opt_fac == i] = np.inf
        full = np.append(load >= cap, False)[prices.fac]
        alt[full] = np.inf
        second = np.minimum.reduceat(alt, prices.heads)
        regret = (second[at_i] - r[chosen[at_i]]) / np.maximum(arr.demand[at_i], 1)
        for k in at_i[np.argsort(regret, kind="stable")].tolist():
            if load[i] <= cap[i]:
                break
            _move_class(arr, units, load, fac_l, r, k, chosen, avoid=i)
    return units


def _move_class(
    arr: _Arrays,
    units: IntArray,
    load: IntArray,
    fac_l: list[int],
    r: FloatArray,
    k: int,
    chosen: IntArray,
    avoid: int,
) -> None:
    """Move class k's units at ``avoid`` to its cheapest priced options with room."""
    lo, hi = int(arr.start[k]), int(arr.start[k + 1])
    dem = int(arr.demand[k])
    for g in range(lo, hi):
        if fac_l[g] != avoid or units[g] == 0:
            continue
        left = int(units[g])
        for h in sorted(range(lo, hi), key=lambda h: r[h]):
            if left == 0:
                break
            j = fac_l[h]
            if j == avoid:
                continue
            fit = left if j < 0 or dem == 0 else min(left, int(arr.cap[j] - load[j]) // dem)
            if fit <= 0:
                continue
            units[h] += fit
            units[g] -= fit
            left -= fit
            if j >= 0:
                load[j] += fit * dem
            load[avoid] -= fit * dem
            chosen[k] = h
        # units that fit nowhere stay (the plan is then infeasible and is not offered)


def _improve(arr: _Arrays, prices: _Prices, units: IntArray) -> IntArray:
    """Classes with one option in use move to a cheaper option (real cost, lanes at their
    per-unit price) wherever it fits, best saving per unit of capacity first."""
    units = units.copy()
    used = units > 0
    per_class = np.bincount(arr.opt_class[used], minlength=arr.n_classes)
    load = _facility_loads(arr, units)
    cur = np.full(arr.n_classes, -1, dtype=np.int64)
    single = used & (per_class[arr.opt_class] == 1)
    cur[arr.opt_class[single]] = np.flatnonzero(single)
    cost = prices.base
    best = np.minimum.reduceat(cost, prices.heads)
    cand = np.flatnonzero((cur >= 0) & (best < cost[np.maximum(cur, 0)] - 0.5))
    saving = cost[cur[cand]] - best[cand]
    fac_l = arr.opt_fac.tolist()
    cost_l = cost.tolist()
    for k in cand[np.argsort(-saving / np.maximum(arr.demand[cand], 1), kind="stable")].tolist():
        g = int(cur[k])
        lo, hi = int(arr.start[k]), int(arr.start[k + 1])
        dem = int(arr.demand[k]) * int(arr.count[k])
        for h in sorted(range(lo, hi), key=lambda h: cost_l[h]):
            if cost_l[h] >= cost_l[g]:
                break
            j = fac_l[h]
            if j >= 0 and j != fac_l[g] and load[j] + dem > arr.cap[j]:
                continue
            units[h], units[g] = units[g], 0
            if fac_l[g] >= 0:
                load[fac_l[g]] -= dem
            if j >= 0:
                load[j] += dem
            break
    return units


def _shed_lanes(arr: _Arrays, units: IntArray) -> IntArray:
    """A lane's last dispatch, when its few units cost less elsewhere than the dispatch does,
    is dropped: its units move to their cheapest option off the lane with room."""
    units = units.copy()
    on = arr.opt_lane >= 0
    if not on.any():
        return units
    load = _facility_loads(arr, units)
    lane_load = _lane_loads(arr, units)
    fac_l, lane_l, cost_l = arr.opt_fac.tolist(), arr.opt_lane.tolist(), arr.opt_cost.tolist()
    for ln in range(len(arr.lane_cap)):
        spare = int(lane_load[ln] % arr.lane_cap[ln])
        if spare == 0:
            continue
        riders = np.flatnonzero((arr.opt_lane == ln) & (units > 0))
        moves: list[tuple[int, int, int]] = []  # (from, to, units)
        extra, shed = 0, 0
        trial = load.copy()
        for g in riders[np.argsort(arr.opt_cost[riders], kind="stable")[::-1]].tolist():
            if shed >= spare:
                break
            k = int(arr.opt_class[g])
            dem = int(arr.demand[k])
            lo, hi = int(arr.start[k]), int(arr.start[k + 1])
            per = int(arr.opt_load[g])
            n = min(int(units[g]), -(-(spare - shed) // per))  # no more than the spare needs
            alts = [h for h in range(lo, hi) if lane_l[h] != ln]
            placed = False
            for h in sorted(alts, key=lambda h: cost_l[h]):
                j = fac_l[h]
                if j >= 0 and j != fac_l[g] and trial[j] + n * dem > arr.cap[j]:
                    continue
                if lane_l[h] >= 0:
                    continue  # another lane's dispatches would change too: keep it simple
                extra += (cost_l[h] - cost_l[g]) * n
                if fac_l[g] >= 0:
                    trial[fac_l[g]] -= n * dem
                if j >= 0:
                    trial[j] += n * dem
                moves.append((g, h, n))
                shed += n * per
                placed = True
                break
            if not placed:
                break
        if shed >= spare and extra < int(arr.lane_fixed[ln]) * (
            -(-int(lane_load[ln]) // int(arr.lane_cap[ln]))
            - (-(-(int(lane_load[ln]) - shed) // int(arr.lane_cap[ln])))
        ):
            for g, h, n in moves:
                units[g] -= n
                units[h] += n
            load = trial
            lane_load[ln] -= shed
    return units


def solve_large(
    arr: _Arrays,
    *,
    deadline: float,
    hint: IntArray | None,
    reporter: _Reporter,
    notes: list[str],
    gap_limit: float = 0.0,
) -> tuple[IntArray | None, int | None]:
    """The best plan found and a valid lower bound (see the module docstring)."""
    started = time.monotonic()
    inc = _Incumbent()
    inc.offer(arr, hint, reporter)
    prices = _Prices(arr)
    dual = _Dual(prices)
    planned_at = -math.inf

    def plan_from(m: FloatArray, chosen: IntArray) -> None:
        units = _repair(arr, prices, m, chosen.copy())
        if not _plan_cost(arr, units)[1]:
            return
        inc.offer(arr, units, reporter)
        units = _improve(arr, prices, units)
        inc.offer(arr, units, reporter)
        inc.offer(arr, _shed_lanes(arr, units), reporter)

    while True:
        improved = dual.step()
        reporter.update(None, dual.best if inc.cost is None else min(dual.best, inc.cost))
        # a plan at the first prices, then whenever the bound moved by 0.1 % since the last
        if improved and dual.best - planned_at > 1e-3 * max(1.0, abs(dual.best)):
            plan_from(dual.center, dual.center_choice)
            planned_at = dual.best
        if dual.stopped or len(dual.cuts) >= _MAX_ITERATIONS:
            break
        if _close_enough(inc.cost, _ceil(dual.best), gap_limit) or time.monotonic() > deadline:
            break
    if planned_at < dual.best:
        plan_from(dual.center, dual.center_choice)
    lower = _ceil(dual.best) if math.isfinite(dual.best) else None
    if inc.cost is not None and lower is not None:
        lower = min(lower, inc.cost)
    notes.append(
        f"priced {arr.n_options} options ({len(dual.cuts)} dual steps"
        f"{', converged' if dual.converged else ''}) in {time.monotonic() - started:.1f} s"
    )
    return inc.units, lower


class _Dual:
    """Maximises the concave, piecewise-linear L(mu) over mu >= 0 by a trust-region cutting
    plane method (a bundle method without the quadratic term): every evaluation gives a cut
    L(m) <= L(mu_j) + g_j (m - mu_j); the next point maximises the cuts within a box around the
    best point so far, found by GLOP; the box doubles after a step that gains and halves after
    one that does not. The bound is always a value of L actually evaluated, so it is valid
    whatever the master LP's accuracy. Converged: the cuts promise no gain within the box."""

    def __init__(self, prices: _Prices) -> None:
        self.prices = prices
        n = prices.arr.n_facilities
        self.center = np.zeros(n, dtype=np.float64)
        self.best, self.center_choice, g = prices.evaluate(self.center)
        self.cuts: list[tuple[float, FloatArray, FloatArray]] = [(self.best, self.center, g)]
        spread = np.abs(prices.arr.opt_cost)
        self.radius = max(1.0, float(np.median(spread)) if len(spread) else 1.0)
        self.converged = False  # the cuts promise no gain: best is the maximum (to LP accuracy)
        self.stopped = False
        self._first = True

    def step(self) -> bool:
        """One evaluation (the first call reports the one made at mu = 0); True if it gained."""
        if self._first:
            self._first = False
            return True
        point, promised = _box_master(self.cuts, self.center, self.radius, self.best)
        if point is None:  # the master LP failed: stop at the best evaluated so far
            self.stopped = True
            return False
        if promised - self.best <= 1e-9 * max(1.0, abs(self.best)):
            self.converged = self.stopped = True
            return False
        value, chosen, g = self.prices.evaluate(point)
        self.cuts.append((value, point, g))
        if value > self.best + 0.1 * (promised - self.best):
            self.best, self.center, self.center_choice = value, point, chosen
            self.radius *= 2.0
            return True
        if value > self.best:  # a small gain: keep it, do not grow
            self.best, self.center, self.center_choice = value, point, chosen
            return True
        self.radius = max(self.radius / 2.0, 1e-6)
        return False

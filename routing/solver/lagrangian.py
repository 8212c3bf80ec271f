"""The Lagrangian relaxation of the assignment rows: a bound, plans, and penalties.

Relaxing ``sum_o x_ko = count_k`` with multipliers ``u_k`` leaves one knapsack per facility and
an exact knapsack over the capacity that facilities with a fixed cost must open (the cover).
:func:`_lagrangian_phase` maximises the bound by subgradient steps and runs a Lagrangian
heuristic (greedy on the relaxation's choice, then local search) along the way;
:func:`_refine_integer` strengthens the bound with integer knapsacks; :func:`_penalties` gives,
for each option and facility decision, a lower bound on every plan that uses it, which AUTO
uses to fix variables (see :mod:`routing.solver.auto`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from routing.solver.arrays import _EPS, BoolArray, FloatArray, _Arrays, _cover_rhs, _plan_cost
from routing.solver.heuristics import _Dense, _greedy_units, _local_search
from routing.solver.progress import _Incumbent, _Reporter

_DP_LIMIT = 4_000_000  # cells of one knapsack dynamic programme (items x capacity)
_HEURISTIC_AT = frozenset((0, 5, 10, 20, 30, 40))  # Lagrangian heuristic, then every 50


@dataclass
class _Lagrangian:
    """Relaxes sum_o x_ko = count_k with multipliers u_k; lanes are dropped (costs >= 0).

    L(u) = sum_k u_k count_k + sum_{free o} count_k min(0, c_o - u_k)
           - sum_{i, no fixed cost} K_i(u) + min_{y covers} sum_{i, fixed cost} (f_i - K_i(u)) y_i
    where K_i(u) is the best knapsack of options at facility i with profit u_k - c_o per unit,
    and "y covers" means the opened capacity holds the demand that needs a facility.
    """

    arr: _Arrays

    def __post_init__(self) -> None:
        arr = self.arr
        self.fac_opts = np.nonzero((arr.opt_fac >= 0) & (arr.opt_ub > 0))[0]
        self.free_opts = np.nonzero(arr.opt_fac < 0)[0]
        self.unit_w = arr.demand[arr.opt_class[self.fac_opts]]
        self.n_units = arr.opt_ub[self.fac_opts]
        self.fi = arr.opt_fac[self.fac_opts]
        self.fixed_ids = np.nonzero(arr.has_fixed)[0]
        self.cover_need = max(0, _cover_rhs(arr))
        self.cover_exact = self.cover_need * max(1, len(self.fixed_ids)) <= _DP_LIMIT
        self.int_ok = all(
            int(arr.cap[i]) * max(1, int((self.fi == i).sum())) <= _DP_LIMIT // 4
            for i in range(arr.n_facilities)
        )

    # fractional knapsacks for every facility at once
    def knapsacks(
        self, u: FloatArray, curves: bool = False
    ) -> tuple[FloatArray, FloatArray, list[tuple[FloatArray, FloatArray]]]:
        """Fractional knapsacks: value and units per facility option, and (when ``curves``)
        each facility's value as a piecewise-linear function of capacity (breakpoints)."""
        arr = self.arr
        m = arr.n_facilities
        p = u[arr.opt_class[self.fac_opts]] - arr.opt_cost[self.fac_opts]
        pos = p > 0
        w = self.unit_w.astype(np.float64)
        cand = np.nonzero(pos)[0]
        ratio = np.where(w[cand] > 0, p[cand] / np.maximum(w[cand], 1e-300), np.inf)
        order = cand[np.lexsort((-ratio, self.fi[cand]))]
        fi, wt = self.fi[order], (w * self.n_units)[order]
        pt = (p * self.n_units)[order]
        cw = np.cumsum(wt)
        starts = np.searchsorted(fi, np.arange(m))
        base = np.concatenate([[0.0], cw])[starts]
        cw_local = cw - base[fi]
        prev = cw_local - wt
        capf = arr.cap[fi].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(wt > 0, (capf - prev) / wt, 1.0)
        take = np.clip(np.where(cw_local <= capf, 1.0, frac), 0.0, 1.0)
        value = np.bincount(fi, weights=take * pt, minlength=m).astype(np.float64)
        units = np.zeros(len(self.fac_opts))
        units[order] = take * self.n_units[order]
        out: list[tuple[FloatArray, FloatArray]] = []
        if curves:
            for i in range(m):
                sl = slice(starts[i], starts[i + 1] if i + 1 < m else len(order))
                out.append((cw_local[sl], np.cumsum(pt[sl])))
        return value, units, out

    def cover(self, r: FloatArray, forced: int = -1, banned: int = -1) -> tuple[float, BoolArray]:
        """min sum r_i y_i over facilities with a fixed cost s.t. sum cap_i y_i >= need."""
        ids = self.fixed_ids
        caps = self.arr.cap[ids]
        y = np.zeros(len(ids), dtype=bool)
        need = self.cover_need
        if not self.cover_exact:  # LP relaxation of the cover (greedy by ratio): still a bound
            base = (r < 0) | (np.arange(len(ids)) == forced)
            if banned >= 0:
                base[banned] = False
            value = float(r[base].sum())
            rest = need - int(caps[base].sum())
            if rest > 0:
                cand = [
                    i for i in np.argsort(r / np.maximum(caps, 1)) if not base[i] and i != banned
                ]
                for i in cand:
                    take = min(1.0, rest / max(int(caps[i]), 1))
                    value += take * float(r[i])
                    base[i] = True
                    rest -= int(caps[i])
                    if rest <= 0:
                        break
                if rest > 0:
                    return math.inf, base
            return value, base
        g = np.full(need + 1, np.inf)
        g[0] = 0.0
        keeps = []
        for t in range(len(ids)):
            c = int(caps[t])
            shifted = np.empty(need + 1)
            if c >= need + 1:
                shifted[:] = g[0]
            else:
                shifted[:c] = g[0]
                shifted[c:] = g[: need + 1 - c]
            cand = shifted + r[t]
            if t == banned:
                keep = np.zeros(need + 1, dtype=bool)
            elif t == forced:
                keep = np.ones(need + 1, dtype=bool)
            else:
                keep = cand < g
            keeps.append(keep)
            g = np.where(keep, cand, g)
        if not math.isfinite(g[need]):
            return math.inf, y
        c = need
        for t in range(len(ids) - 1, -1, -1):
            if keeps[t][c]:
                y[t] = True
                c = max(0, c - int(caps[t]))
        return float(g[need]), y

    def base(self, u: FloatArray, value_k: FloatArray) -> float:
        """L(u) without the cover term: multipliers, free options, always-open facilities."""
        arr = self.arr
        total = float(u @ arr.count)
        pf = u[arr.opt_class[self.free_opts]] - arr.opt_cost[self.free_opts]
        total -= float((np.maximum(pf, 0) * arr.count[arr.opt_class[self.free_opts]]).sum())
        return total - float(value_k[~arr.has_fixed].sum())

    def assemble(self, u: FloatArray, value_k: FloatArray) -> tuple[float, BoolArray]:
        """L(u) from the knapsack values, and the facilities open in the relaxation."""
        r = self.arr.fixed[self.fixed_ids] - value_k[self.fixed_ids]
        cov, y_fixed = self.cover(r)
        opened = ~self.arr.has_fixed
        opened[self.fixed_ids[y_fixed]] = True
        return self.base(u, value_k) + cov, opened

    def evaluate(self, u: FloatArray) -> tuple[float, FloatArray, BoolArray]:
        """L(u), units per facility option (fractional knapsacks), open facilities."""
        value_k, units, _ = self.knapsacks(u)
        value, opened = self.assemble(u, value_k)
        return value, units, opened

    def subgradient(self, u: FloatArray, units: FloatArray, opened: BoolArray) -> FloatArray:
        arr = self.arr
        got = np.zeros(arr.n_classes)
        on = opened[self.fi]
        np.add.at(got, arr.opt_class[self.fac_opts[on]], units[on])
        pf = u[arr.opt_class[self.free_opts]] - arr.opt_cost[self.free_opts]
        np.add.at(
            got,
            arr.opt_class[self.free_opts],
            np.where(pf > 0, arr.count[arr.opt_class[self.free_opts]], 0),
        )
        return arr.count - got

    def int_knapsacks(self, u: FloatArray, recover: bool) -> tuple[list[FloatArray], FloatArray]:
        """Exact bounded knapsacks (binary splitting) per facility: value tables over the
        capacity 0..cap_i, and (when ``recover``) the units each facility option takes."""
        arr = self.arr
        p = u[arr.opt_class[self.fac_opts]] - arr.opt_cost[self.fac_opts]
        units = np.zeros(len(self.fac_opts))
        tables = []
        for i in range(arr.n_facilities):
            cap = int(arr.cap[i])
            dp = np.zeros(cap + 1)
            chunks: list[tuple[int, int, BoolArray | None]] = []  # (item, units, keep)
            for t in np.nonzero((self.fi == i) & (p > 0))[0]:
                w, left, size = int(self.unit_w[t]), int(self.n_units[t]), 1
                while left > 0:
                    q = min(size, left)
                    left, size = left - q, size * 2
                    if w == 0:
                        dp += float(p[t]) * q
                        chunks.append((int(t), q, None))
                    elif w * q <= cap:
                        wq = w * q
                        cand = dp[: cap + 1 - wq] + float(p[t]) * q
                        keep = cand > dp[wq:]
                        dp[wq:] = np.where(keep, cand, dp[wq:])
                        chunks.append((int(t), q, keep))
            if recover:
                c = cap
                for item, q, kept in reversed(chunks):
                    if kept is None:
                        units[item] += q
                    else:
                        wq = int(self.unit_w[item]) * q
                        if c >= wq and kept[c - wq]:
                            units[item] += q
                            c -= wq
            tables.append(dp)
        return tables, units


@dataclass
class _Penalties:
    bound: float  # L(u)
    option: FloatArray  # (O,) bound on any plan using the option; inf when impossible
    open_: FloatArray  # (M,) bound on any plan opening the facility
    closed: FloatArray  # (M,) bound on any plan not opening it

    def keep(self, threshold: float) -> tuple[BoolArray, BoolArray, BoolArray]:
        """Options, closed facilities and forced facilities for plans of cost <= threshold."""
        tol = _EPS * max(1.0, abs(threshold))
        return (
            self.option <= threshold + tol,
            self.open_ > threshold + tol,
            self.closed > threshold + tol,
        )


def _penalties(lag: _Lagrangian, u: FloatArray, use_int: bool) -> _Penalties:
    arr = lag.arr
    m = arr.n_facilities
    value_k, _, curves = lag.knapsacks(u, curves=True)
    tables = lag.int_knapsacks(u, False)[0] if use_int else None
    if tables is not None:
        value_k = np.array([t[int(arr.cap[i])] for i, t in enumerate(tables)])
    base = lag.base(u, value_k)
    pf = u[arr.opt_class[lag.free_opts]] - arr.opt_cost[lag.free_opts]
    r = arr.fixed[lag.fixed_ids] - value_k[lag.fixed_ids]
    bound = base + lag.cover(r)[0]
    open_ = np.full(m, bound)
    closed = np.full(m, math.inf)
    for t, fac in enumerate(lag.fixed_ids):
        open_[fac] = base + lag.cover(r, forced=t)[0]
        closed[fac] = base + lag.cover(r, banned=t)[0]
    option = np.full(arr.n_options, math.inf)
    p = u[arr.opt_class[lag.fac_opts]] - arr.opt_cost[lag.fac_opts]
    for i in range(m):
        mine = np.nonzero(lag.fi == i)[0]
        if len(mine) == 0:
            continue
        room = arr.cap[i] - lag.unit_w[mine]
        if tables is not None:
            k_rest = tables[i][np.maximum(room, 0)]
        else:
            cw, cp = curves[i]
            k_rest = np.interp(
                np.maximum(room, 0), np.concatenate([[0.0], cw]), np.concatenate([[0.0], cp])
            )
        forced = open_[i] + value_k[i] - p[mine] - k_rest
        option[lag.fac_opts[mine]] = np.where(room >= 0, forced, math.inf)
    option[lag.free_opts] = bound + np.maximum(-pf, 0)
    return _Penalties(bound=bound, option=option, open_=open_, closed=closed)


def _lagrangian_phase(
    arr: _Arrays,
    lag: _Lagrangian,
    inc: _Incumbent,
    dense: _Dense | None,
    reporter: _Reporter,
    deadline: float,
    iterations: int = 300,
) -> tuple[float, FloatArray]:
    """Subgradient on the fractional-knapsack relaxation, with a Lagrangian heuristic.

    Polyak steps towards the incumbent's cost along a deflected direction (d = g + 0.7 d'),
    the step halved after 10 iterations without a better bound: measured on the Holmberg set,
    this reaches in 200 iterations the bound plain subgradient reaches in 400.
    """
    u = np.zeros(arr.n_classes)
    for k in range(arr.n_classes):
        cs = np.sort(arr.opt_cost[int(arr.start[k]) : int(arr.start[k + 1])])
        u[k] = cs[min(1, len(cs) - 1)]  # the second cheapest option: a customer's regret
    best, best_u = -math.inf, u.copy()
    step, stall = 1.0, 0
    direction: FloatArray | None = None
    history: list[float] = []
    for it in range(iterations):
        if time.monotonic() > deadline:
            break
        value, units, opened = lag.evaluate(u)
        if not math.isfinite(value):
            return value, u  # the capacity cover is infeasible: so is the problem
        if value > best + 1e-9:
            best, best_u, stall = value, u.copy(), 0
            reporter.update(None, best)
        else:
            stall += 1
            if stall >= 10:
                step, stall = step / 2, 0
        history.append(best)
        if inc.cost is not None and best > inc.cost - 1 + _EPS * max(1.0, abs(best)):
            break
        if it >= 100 and best - history[-50] <= 1e-5 * max(1.0, abs(best)):
            break  # stalled
        if it in _HEURISTIC_AT or (it > 0 and it % 50 == 0):
            chosen = np.zeros(arr.n_options, dtype=bool)
            chosen[lag.fac_opts[units > 0.5]] = True
            plan = _greedy_units(arr, opened, chosen)
            if dense is not None and _plan_cost(arr, plan)[1]:
                plan = _local_search(arr, dense, plan, deadline)
            inc.offer(arr, plan, reporter)
        g = lag.subgradient(u, units, opened)
        direction = g if direction is None else g + 0.7 * direction
        norm = float(direction @ direction)
        if norm < 1e-12 or step < 1e-5:
            break
        target = float(inc.cost) if inc.cost is not None else value + abs(value) * 0.05 + 1.0
        u = u + step * max(target - value, 1e-6) / norm * direction
    return best, best_u


def _refine_integer(
    arr: _Arrays, lag: _Lagrangian, u: FloatArray, inc: _Incumbent, deadline: float
) -> tuple[float, FloatArray]:
    """A few subgradient steps on the integer-knapsack relaxation (a stronger bound)."""
    best, best_u = -math.inf, u.copy()
    step, stall = 0.5, 0
    for _ in range(40):
        if time.monotonic() > deadline:
            break
        tables, units = lag.int_knapsacks(u, True)
        value_k = np.array([t[int(arr.cap[i])] for i, t in enumerate(tables)])
        value, opened = lag.assemble(u, value_k)
        if value > best + 1e-9:
            best, best_u, stall = value, u.copy(), 0
        else:
            stall += 1
            if stall >= 5:
                step, stall = step / 2, 0
        if not math.isfinite(value):
            break
        if inc.cost is not None and best > inc.cost - 1 + _EPS * max(1.0, abs(best)):
            break
        g = lag.subgradient(u, units, opened)
        norm = float(g @ g)
        if norm < 1e-12:
            break
        target = 1.02 * inc.cost if inc.cost is not None else value + abs(value) * 0.02 + 1.0
        u = u + step * max(target - value, 1e-6) / norm * g
    return best, best_u

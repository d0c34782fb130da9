/**
 * The motion between two consecutive frames, for a recurrent model trained with its past moved onto
 * the current frame (its metadata's `motion`). One shift for the whole frame, in whole output pixels: the
 * same estimator as training/motion.py's global_shift, which it is tested against.
 *
 * The mean squared difference between the frames over integer input-pixel shifts within `radius` (on every
 * `stride`-th sample, away from the edges), then the best one refined to output pixels as the model's metadata
 * says: `parabola` (what metadata without `refine` means) fits a parabola through its neighbours along each axis
 * and rounds half to even (numpy's rounding); `cubic` first tries every output-pixel shift within one input pixel
 * of it, the previous frame resampled there by Keys' cubic, and takes the best if it differs from the frame by
 * less than `gate` times as much as the whole shift, else leaves it to the parabola. Resampling smooths, so on
 * noisy footage a fraction always fits a little better; on a camera pan over sharp detail the true one fits at
 * least twice as well. No motion where the frame is too small to search or no shift fits better than none (a
 * flat frame).
 *
 * With a `block` side, the same estimate runs on each block of about that side (with radius + 1 pixels of the
 * frame around it), so that what moves on its own is followed: training/motion.py's block_shifts.
 */

import { ModelError } from '../../errors.js';
import { cubic } from '../../image/resize.js';

/**
 * How the search runs, as the model's metadata says: what suits its weights, which need not be what they were
 * trained with (the shipped ones were trained with the parabola and measured better with the gated cubic).
 */
export type MotionSearch = {
  readonly radius: number;
  readonly stride: number;
  /** One shift per block of about this many input pixels a side (blockEdges); absent: one for the whole frame. */
  readonly block?: number;
} & (
  | { readonly refine: 'cubic'; readonly gate: number }
  | { readonly refine: 'parabola' }
);

/** The sub-pixel step of the search: every output-pixel shift near the best tried (cubic), or a parabola's vertex. */
export type Refinement = MotionSearch['refine'];

/** numpy's and torch's round: halves go to the even neighbour (and no -0). */
export const roundHalfEven = (v: number): number => {
  const r = Math.round(v);
  return (Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r) + 0;
};

/** Offset of the minimum of the parabola through (-1, a), (0, b), (1, c), within [-0.5, 0.5]. */
const vertex = (a: number, b: number, c: number): number => {
  const den = a - 2 * b + c;
  return den <= 0 ? 0 : Math.min(0.5, Math.max(-0.5, (0.5 * (a - c)) / den));
};

/**
 * [dy, dx] in output pixels (× scale) such that cur at p shows what prev showed at p + d / scale: how far the
 * picture's window moved from `prev` to `cur` (both `width × height`).
 */
export const globalShift = (prev: Float32Array, cur: Float32Array, width: number, height: number, scale: number, search: MotionSearch): [number, number] => {
  const { radius, stride } = search;
  const m = radius + 1;
  if (height <= 2 * m || width <= 2 * m) return [0, 0];
  const side = 2 * radius + 1;
  const err = new Float64Array(side * side);
  for (let iy = -radius; iy <= radius; iy++) {
    for (let ix = -radius; ix <= radius; ix++) {
      let sum = 0;
      let n = 0;
      for (let y = m; y < height - m; y += stride) {
        const c = y * width;
        const p = (y + iy) * width + ix;
        for (let x = m; x < width - m; x += stride) {
          const d = (cur[c + x] as number) - (prev[p + x] as number);
          sum += d * d;
          n++;
        }
      }
      err[(iy + radius) * side + ix + radius] = sum / n;
    }
  }
  let best = 0;
  for (let i = 1; i < err.length; i++) if ((err[i] as number) < (err[best] as number)) best = i;
  const centre = radius * side + radius;
  if (err[best] === err[centre]) best = centre;
  const by = Math.floor(best / side);
  const bx = best % side;
  if (search.refine === 'cubic') {
    const d = refineCubic({ prev, cur, width, height }, scale, [by - radius, bx - radius], { margin: m, stride }, search.gate);
    if (d) return d;
  }
  const at = (y: number, x: number): number => err[y * side + x] as number;
  const fy = by > 0 && by < side - 1 ? vertex(at(by - 1, bx), at(by, bx), at(by + 1, bx)) : 0;
  const fx = bx > 0 && bx < side - 1 ? vertex(at(by, bx - 1), at(by, bx), at(by, bx + 1)) : 0;
  return [roundHalfEven((by - radius + fy) * scale), roundHalfEven((bx - radius + fx) * scale)];
};

/** Where blocks start and end along the axes, and one [dy, dx] per block, row-major. */
export interface BlockMotion {
  readonly rows: readonly number[];
  readonly cols: readonly number[];
  readonly shifts: Int32Array;
}

/**
 * Where the blocks along an axis of `size` pixels start and end: n = max(1, floor(size / block + 1/2)) blocks as
 * even as whole pixels make them (edge i at floor(i × size / n)), each between three quarters of `block` and one
 * and a half times it, or the whole axis where that is shorter (motion.py's block_edges).
 */
export const blockEdges = (size: number, block: number): number[] => {
  const n = Math.max(1, Math.floor((2 * size + block) / (2 * block)));
  return Array.from({ length: n + 1 }, (_, i) => Math.floor((i * size) / n));
};

/**
 * One shift per block of the frame (blockEdges along each axis): globalShift on the block with up to radius + 1
 * pixels of the frame around it, if the previous frame resampled there fits the block better than at the whole
 * frame's globalShift; else that one (motion.py's block_shifts). A camera pan so keeps the whole frame's more exact
 * estimate, and what moves on its own gets its own.
 */
export const blockShifts = (prev: Float32Array, cur: Float32Array, width: number, height: number, scale: number, search: MotionSearch, block: number): BlockMotion => {
  const m = search.radius + 1;
  const global = globalShift(prev, cur, width, height, scale, search);
  const rows = blockEdges(height, block);
  const cols = blockEdges(width, block);
  const shifts = new Int32Array((rows.length - 1) * (cols.length - 1) * 2);
  for (let i = 0; i + 1 < rows.length; i++) {
    const ya = Math.max(0, (rows[i] as number) - m);
    const yb = Math.min(height, (rows[i + 1] as number) + m);
    for (let j = 0; j + 1 < cols.length; j++) {
      const xa = Math.max(0, (cols[j] as number) - m);
      const xb = Math.min(width, (cols[j + 1] as number) + m);
      const [w, h] = [xb - xa, yb - ya];
      const p = new Float32Array(w * h);
      const c = new Float32Array(w * h);
      for (let y = 0; y < h; y++) {
        p.set(prev.subarray((ya + y) * width + xa, (ya + y) * width + xb), y * w);
        c.set(cur.subarray((ya + y) * width + xa, (ya + y) * width + xb), y * w);
      }
      const own = globalShift(p, c, w, h, scale, search);
      const same = own[0] === global[0] && own[1] === global[1];
      const searched = h > 2 * m && w > 2 * m;
      const fit = (d: [number, number]): number => resampledError({ prev: p, cur: c, width: w, height: h }, scale, d, { margin: m, stride: search.stride });
      shifts.set(!same && searched && fit(own) < fit(global) ? own : global, (i * (cols.length - 1) + j) * 2);
    }
  }
  return { rows, cols, shifts };
};

/**
 * The mean squared difference between `cur` and `prev` resampled by Keys' cubic at the output-pixel shift
 * [dy, dx] (edges replicated), on the search's samples: motion.py's _fit.
 */
const resampledError = (
  { prev, cur, width, height }: { prev: Float32Array; cur: Float32Array; width: number; height: number },
  scale: number,
  [dy, dx]: [number, number],
  { margin: m, stride }: { margin: number; stride: number },
): number => {
  const oy = Math.floor(dy / scale);
  const ox = Math.floor(dx / scale);
  const [w0, w1, w2, w3] = cubicTaps((dy - oy * scale) / scale);
  const [v0, v1, v2, v3] = cubicTaps((dx - ox * scale) / scale);
  const row = (y: number): number => Math.min(height - 1, Math.max(0, y)) * width;
  const col = (x: number): number => Math.min(width - 1, Math.max(0, x));
  const at = (y: number, x: number): number =>
    w0 * (prev[row(y - 1) + x] as number) + w1 * (prev[row(y) + x] as number) + w2 * (prev[row(y + 1) + x] as number) + w3 * (prev[row(y + 2) + x] as number);
  let sum = 0;
  let n = 0;
  for (let y = m; y < height - m; y += stride) {
    for (let x = m; x < width - m; x += stride) {
      const [sy, sx] = [y + oy, x + ox];
      const p = v0 * at(sy, col(sx - 1)) + v1 * at(sy, col(sx)) + v2 * at(sy, col(sx + 1)) + v3 * at(sy, col(sx + 2));
      const e = (cur[y * width + x] as number) - p;
      sum += e * e;
      n++;
    }
  }
  return sum / n;
};

/**
 * `channels` planes of `width × height` (channel-major), each block moved by its own shift: out at p = in at
 * p + d of p's block, the edges replicated. The blocks' edges are `motion`'s times `grid` (the planes' pixels per
 * pixel of the frame the motion was found on), its shifts already in these planes' pixels. Written to `out` (of
 * the planes' length, not the planes themselves: blocks read across each other's borders).
 */
export const moveBlocks = (
  planes: Float32Array,
  channels: number,
  width: number,
  height: number,
  motion: BlockMotion,
  grid: number,
  out: Float32Array = new Float32Array(planes.length),
): Float32Array => {
  if (out === planes || out.length !== planes.length) throw new RangeError('moveBlocks writes to another array of the planes\' length');
  const { rows, cols, shifts } = motion;
  const n = cols.length - 1;
  for (let i = 0; i + 1 < rows.length; i++) {
    // Neighbouring blocks of the row with the same shift move as one run of columns.
    const runs: { x0: number; x1: number; dy: number; dx: number }[] = [];
    for (let j = 0; j < n; j++) {
      const [dy, dx] = [shifts[(i * n + j) * 2] as number, shifts[(i * n + j) * 2 + 1] as number];
      const last = runs.at(-1);
      if (last && last.dy === dy && last.dx === dx) last.x1 = grid * (cols[j + 1] as number);
      else runs.push({ x0: grid * (cols[j] as number), x1: grid * (cols[j + 1] as number), dy, dx });
    }
    for (let c = 0; c < channels; c++) {
      const base = c * width * height;
      for (let y = grid * (rows[i] as number); y < grid * (rows[i + 1] as number); y++) {
        const to = base + y * width;
        for (const { x0, x1, dy, dx } of runs) {
          const from = base + Math.min(height - 1, Math.max(0, y + dy)) * width;
          // Columns x0..x1 read x + dx: below 0 the first column, past the edge the last, the rest as one copy.
          const a = Math.min(x1, Math.max(x0, -dx));
          const b = Math.max(a, Math.min(x1, width - dx));
          if (a > x0) out.fill(planes[from] as number, to + x0, to + a);
          // A view per run costs more than a loop over a block's few dozen samples; a long run is copied natively.
          if (b - a >= 256) out.set(planes.subarray(from + a + dx, from + b + dx), to + a);
          else for (let x = a; x < b; x++) out[to + x] = planes[from + x + dx] as number;
          if (x1 > b) out.fill(planes[from + width - 1] as number, to + b, to + x1);
        }
      }
    }
  }
  return out;
};

/** Keys' cubic weights of the samples at -1, 0, 1, 2 for a point t in [0, 1) past sample 0 (motion.py's, term for term). */
const cubicTaps = (t: number): [number, number, number, number] => [cubic(t + 1), cubic(t), cubic(1 - t), cubic(2 - t)];

/**
 * The output-pixel shift within one input pixel of the integer best [iy, ix] at which `prev`, resampled by
 * Keys' cubic (edges replicated), differs least from `cur` on the search's samples (the first of equals in row
 * order), if that is less than `gate` times the integer best's difference; else null.
 */
const refineCubic = (
  { prev, cur, width, height }: { prev: Float32Array; cur: Float32Array; width: number; height: number },
  scale: number,
  [iy, ix]: [number, number],
  { margin: m, stride }: { margin: number; stride: number },
  gate: number,
): [number, number] | null => {
  const ny = Math.ceil((height - 2 * m) / stride);
  const nx = Math.ceil((width - 2 * m) / stride);
  const span = 2 * scale - 1; // candidates along each axis
  const rows = new Float64Array(ny * width); // prev resampled along y at the candidate's rows, every column
  // Per candidate column shift: its four x taps, and per sample the four columns they read (edges replicated).
  const xTaps = new Float64Array(4 * span);
  const cols = new Int32Array(span * 4 * nx);
  for (let i = 0; i < span; i++) {
    const sx = ix * scale - scale + 1 + i;
    const ox = Math.floor(sx / scale);
    xTaps.set(cubicTaps((sx - ox * scale) / scale), 4 * i);
    for (let j = 0; j < nx; j++) for (let k = 0; k < 4; k++) cols[(i * nx + j) * 4 + k] = Math.min(width - 1, Math.max(0, m + j * stride + ox + k - 1));
  }
  const centre: [number, number] = [iy * scale, ix * scale];
  let pick = centre;
  let pickErr = Infinity;
  let centreErr = Infinity;
  for (let sy = iy * scale - scale + 1; sy < iy * scale + scale; sy++) {
    const oy = Math.floor(sy / scale);
    const [w0, w1, w2, w3] = cubicTaps((sy - oy * scale) / scale);
    const rowAt = (y: number): number => Math.min(height - 1, Math.max(0, y)) * width;
    for (let r = 0; r < ny; r++) {
      const y = m + r * stride + oy;
      const [a, b, c, d] = [rowAt(y - 1), rowAt(y), rowAt(y + 1), rowAt(y + 2)];
      const row = r * width;
      for (let x = 0; x < width; x++) {
        rows[row + x] = w0 * (prev[a + x] as number) + w1 * (prev[b + x] as number) + w2 * (prev[c + x] as number) + w3 * (prev[d + x] as number);
      }
    }
    for (let i = 0; i < span; i++) {
      const sx = ix * scale - scale + 1 + i;
      const [v0, v1, v2, v3] = [xTaps[4 * i] as number, xTaps[4 * i + 1] as number, xTaps[4 * i + 2] as number, xTaps[4 * i + 3] as number];
      const base = i * nx * 4;
      let sum = 0;
      for (let r = 0; r < ny; r++) {
        const row = r * width;
        const at = (m + r * stride) * width + m;
        for (let j = 0; j < nx; j++) {
          const q = base + 4 * j;
          const p = v0 * (rows[row + (cols[q] as number)] as number) + v1 * (rows[row + (cols[q + 1] as number)] as number) + v2 * (rows[row + (cols[q + 2] as number)] as number) + v3 * (rows[row + (cols[q + 3] as number)] as number);
          const e = (cur[at + j * stride] as number) - p;
          sum += e * e;
        }
      }
      const e = sum / (ny * nx);
      if (e < pickErr) [pick, pickErr] = [[sy, sx], e];
      if (sy === centre[0] && sx === centre[1]) centreErr = e;
    }
  }
  return pickErr < gate * centreErr ? pick : null;
};

/**
 * `channels` planes of `width × height` (channel-major) moved, in place, onto the grid of a frame whose window
 * moved by (dy, dx) pixels: out at p = in at p + d, the edges replicated (training/rvsr.py's shift_past). Rows
 * are visited so that each reads its source before that is overwritten; no frame-sized copy is made.
 */
export const shiftPlanes = (planes: Float32Array, channels: number, width: number, height: number, dy: number, dx: number): Float32Array => {
  if (dy === 0 && dx === 0) return planes;
  const sourceRow = (y: number): number => Math.min(height - 1, Math.max(0, y + dy));
  const kept = Math.max(0, width - Math.abs(dx)); // samples of a row that come from another column of it
  for (let c = 0; c < channels; c++) {
    const base = c * width * height;
    for (let k = 0; k < height; k++) {
      const y = dy > 0 ? k : height - 1 - k; // moving up reads rows below: top first; moving down, bottom first
      const from = base + sourceRow(y) * width;
      const to = base + y * width;
      if (dx >= 0) {
        const edge = planes[from + width - 1] as number;
        planes.copyWithin(to, from + width - kept, from + width);
        planes.fill(edge, to + kept, to + width);
      } else {
        const edge = planes[from] as number;
        planes.copyWithin(to + width - kept, from, from + kept);
        planes.fill(edge, to, to + width - kept);
      }
    }
  }
  return planes;
};

/**
 * The search a recurrent model's metadata asks for (`motion`, written by training/export_rvsr.py --motion), or
 * null for a model trained with its past where it was. An estimator srvid does not know is an error: the model
 * would run on a past it was never trained with.
 */
export const motionSearchOf = (motion: unknown, path: string): MotionSearch | null => {
  if (motion === undefined || motion === null) return null;
  const m = motion as { estimator?: unknown; radius?: unknown; stride?: unknown; refine?: unknown; gate?: unknown; block?: unknown };
  const within = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  const refused = (): ModelError => new ModelError(`${path}'s metadata asks for motion ${JSON.stringify(motion)}, which srvid does not know; give a model srvid's training exported`);
  if (!within(m.radius, 1, 16) || !within(m.stride, 1, 16)) throw refused();
  // global-shift: one shift for the frame (no block); block-shift: one per block, at least the search's span a side.
  if (m.estimator === 'global-shift' ? m.block !== undefined : m.estimator !== 'block-shift' || !within(m.block, 2 * m.radius + 2, 1024)) throw refused();
  const where = { radius: m.radius, stride: m.stride, ...(within(m.block, 1, 1024) ? { block: m.block } : {}) };
  const refine = m.refine === undefined ? 'parabola' : m.refine; // what exports before the field meant
  if (refine === 'parabola' && m.gate === undefined) return { ...where, refine };
  if (refine !== 'cubic' || typeof m.gate !== 'number' || !(m.gate > 0 && m.gate <= 1)) throw refused();
  return { ...where, refine, gate: m.gate };
};

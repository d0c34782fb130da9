/**
 * The camera's motion between two consecutive frames, for a recurrent model trained with its past moved onto
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
 */

import { ModelError } from '../../errors.js';
import { cubic } from '../../image/resize.js';

/**
 * How the search runs, as the model's metadata says: what suits its weights, which need not be what they were
 * trained with (the shipped ones were trained with the parabola and measured better with the gated cubic).
 */
export type MotionSearch = { readonly radius: number; readonly stride: number } & (
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
  const m = motion as { estimator?: unknown; radius?: unknown; stride?: unknown; refine?: unknown; gate?: unknown };
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 16;
  const refused = (): ModelError => new ModelError(`${path}'s metadata asks for motion ${JSON.stringify(motion)}, which srvid does not know; give a model srvid's training exported`);
  if (m.estimator !== 'global-shift' || !ok(m.radius) || !ok(m.stride)) throw refused();
  const refine = m.refine === undefined ? 'parabola' : m.refine; // what exports before the field meant
  if (refine === 'parabola' && m.gate === undefined) return { radius: m.radius, stride: m.stride, refine };
  if (refine !== 'cubic' || typeof m.gate !== 'number' || !(m.gate > 0 && m.gate <= 1)) throw refused();
  return { radius: m.radius, stride: m.stride, refine, gate: m.gate };
};

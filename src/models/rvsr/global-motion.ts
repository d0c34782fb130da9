/**
 * The camera's motion between two consecutive frames, for a recurrent model trained with its past moved onto
 * the current frame (its metadata's `motion`). One shift for the whole frame, in whole output pixels: the
 * same estimator as training/motion.py's global_shift, which it is tested against.
 *
 * The mean squared difference between the frames over integer input-pixel shifts within `radius` (on every
 * `stride`-th sample, away from the edges); the best one refined to a fraction of a pixel by a parabola through
 * its neighbours along each axis, then scaled and rounded half to even (numpy's rounding). No motion where the
 * frame is too small to search or no shift fits better than none (a flat frame).
 */

import { ModelError } from '../../errors.js';

/** How the search runs: the model's metadata states what it was trained with. */
export interface MotionSearch {
  readonly radius: number;
  readonly stride: number;
}

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
export const globalShift = (prev: Float32Array, cur: Float32Array, width: number, height: number, scale: number, { radius, stride }: MotionSearch): [number, number] => {
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
  const at = (y: number, x: number): number => err[y * side + x] as number;
  const fy = by > 0 && by < side - 1 ? vertex(at(by - 1, bx), at(by, bx), at(by + 1, bx)) : 0;
  const fx = bx > 0 && bx < side - 1 ? vertex(at(by, bx - 1), at(by, bx), at(by, bx + 1)) : 0;
  return [roundHalfEven((by - radius + fy) * scale), roundHalfEven((bx - radius + fx) * scale)];
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
  const m = motion as { estimator?: unknown; radius?: unknown; stride?: unknown };
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 16;
  if (m.estimator !== 'global-shift' || !ok(m.radius) || !ok(m.stride)) {
    throw new ModelError(`${path}'s metadata asks for motion ${JSON.stringify(motion)}, which srvid does not know; give a model srvid's training exported`);
  }
  return { radius: m.radius, stride: m.stride };
};

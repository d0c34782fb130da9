/**
 * Bicubic resampling as MATLAB's `imresize` does it (Keys kernel, a = -0.5; on downscaling the kernel is
 * widened by the factor, i.e. antialiased; symmetric edges). Pure; shared by the chroma path, the image
 * path and the quality protocol.
 */

export interface Contributions {
  readonly outLength: number;
  readonly taps: number;
  /** outLength × taps source indices, already folded into [0, inLength). */
  readonly indices: Int32Array;
  /** outLength × taps weights, each row summing to 1. */
  readonly weights: Float32Array;
}

/** Keys' cubic kernel, a = -0.5 (MATLAB's imresize; rvsr's motion estimate resamples with it too). */
export const cubic = (x: number): number => {
  const ax = Math.abs(x);
  if (ax <= 1) return (1.5 * ax - 2.5) * ax * ax + 1;
  if (ax < 2) return ((-0.5 * ax + 2.5) * ax - 4) * ax + 2;
  return 0;
};

/** Mirrors an index into [0, n) with the edge sample repeated, as MATLAB's 'symmetric' padding. */
const fold = (i: number, n: number): number => {
  const period = 2 * n;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - 1 - m;
};

const cache = new Map<string, Contributions>();

const trimTaps = (outLength: number, taps: number, used: number, indices: Int32Array, weights: Float32Array): Contributions => {
  const i2 = new Int32Array(outLength * used);
  const w2 = new Float32Array(outLength * used);
  for (let x = 0; x < outLength; x++) {
    i2.set(indices.subarray(x * taps, x * taps + used), x * used);
    w2.set(weights.subarray(x * taps, x * taps + used), x * used);
  }
  return { outLength, taps: used, indices: i2, weights: w2 };
};

/**
 * Weights for resampling one axis from `inLength` to `outLength` samples. `scale` is out/in, given
 * separately because a plane may be resized by its parent's factor (4:2:0 chroma of an odd-sized frame).
 */
export const contributions = (inLength: number, outLength: number, scale = outLength / inLength, shift = 0): Contributions => {
  const key = `${inLength}:${outLength}:${scale}:${shift}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const antialias = scale < 1;
  const kernelScale = antialias ? scale : 1;
  const halfWidth = 2 / kernelScale;
  // Upscaling: the kernel's support (-2, 2) covers exactly four samples, floor(center) - 1 … + 2.
  const taps = antialias ? Math.ceil(2 * halfWidth) + 1 : 4;
  const indices = new Int32Array(outLength * taps);
  const weights = new Float32Array(outLength * taps);
  for (let x = 0; x < outLength; x++) {
    const center = (x + 0.5) / scale - 0.5 + shift;
    const first = antialias ? Math.ceil(center - halfWidth) : Math.floor(center) - 1;
    let sum = 0;
    const row = new Float64Array(taps);
    for (let t = 0; t < taps; t++) {
      const w = kernelScale * cubic((center - (first + t)) * kernelScale);
      row[t] = w;
      sum += w;
    }
    for (let t = 0; t < taps; t++) {
      indices[x * taps + t] = fold(first + t, inLength);
      weights[x * taps + t] = (row[t] ?? 0) / sum;
    }
  }
  // The antialiased kernel's support is open: when a tap column is zero for every output (the last one at
  // factor 1/2), drop it. Adding zero changes no sum, and eight taps run unrolled below.
  let used = taps;
  while (used > 1 && weights.every((w, k) => k % taps !== used - 1 || w === 0)) used--;
  const result = used === taps ? { outLength, taps, indices, weights } : trimTaps(outLength, taps, used, indices, weights);
  if (cache.size > 64) cache.clear();
  cache.set(key, result);
  return result;
};

/**
 * Scratch for one call at a time: resizeBicubic is synchronous, so a module-level buffer is never shared by
 * two calls, and a video's thousands of frames do not each allocate (and leave to the collector) their own.
 */
const scratch = { input: new Float32Array(0), rows: new Float32Array(0) };
const grow = (key: keyof typeof scratch, n: number): Float32Array => {
  if (scratch[key].length < n) scratch[key] = new Float32Array(n);
  return scratch[key].subarray(0, n);
};

/** A copy as floats; an explicit loop (the typed-array constructor is several times slower in V8). */
const toFloat32 = (src: ArrayLike<number>, n: number): Float32Array => {
  const out = grow('input', n);
  for (let i = 0; i < n; i++) out[i] = src[i] as number;
  return out;
};

export interface ResizeOptions {
  /** out/in factors when they differ from the size ratio (see `contributions`). */
  readonly scaleX?: number;
  readonly scaleY?: number;
  /** Where to write the result (outWidth × outHeight); a fresh array otherwise. */
  readonly into?: Float32Array;
  /**
   * Horizontal shift of the sampling grid, in input samples. 4:2:0 chroma in MPEG-2/H.264 video is
   * left-sited (co-sited with even luma columns): pass `leftSitedShift(scale)` to keep it in place.
   */
  readonly shiftX?: number;
}

/**
 * Left-sited chroma under a centre-aligned luma upscale (pixel shuffle, or any resize): output chroma sample
 * k is co-sited with output luma column 2k, at input luma position (2k + 0.5)/s - 0.5 (pixel centres), i.e.
 * input chroma position (k + 0.25)/s - 0.25; the centre-aligned grid would read (k + 0.5)/s - 0.5.
 */
export const leftSitedShift = (scale: number): number => 0.25 - 0.25 / scale;

/**
 * An upscale by a whole factor `s` repeats itself: away from the edges, output x = m·s + p reads input
 * samples m + first[p] … m + first[p] + 3 with phase p's four weights. `lo`/`hi` bound the m where that holds
 * (no folded index), so the horizontal pass can read its input in order with the weights held in locals.
 */
interface Phases {
  readonly s: number;
  readonly first: Int32Array;
  readonly weights: Float32Array;
  readonly lo: number;
  readonly hi: number;
}

const phaseCache = new WeakMap<Contributions, Phases | null>();

/** The phases of a four-tap upscale by a whole factor, or null when it is not one (or has no interior). */
const phasesOf = (c: Contributions, inLength: number): Phases | null => {
  if (phaseCache.has(c)) return phaseCache.get(c) ?? null;
  const s = c.outLength / inLength;
  let result: Phases | null = null;
  if (c.taps === 4 && Number.isInteger(s) && s > 1) {
    const first = new Int32Array(s);
    const weights = new Float32Array(4 * s);
    let lo = -1;
    let hi = -1;
    let ok = true;
    for (let m = 0; m < inLength && ok; m++) {
      let inside = true;
      for (let p = 0; p < s; p++) {
        const k = (m * s + p) * 4;
        const i0 = c.indices[k] as number;
        // An unfolded run: i0, i0 + 1, i0 + 2, i0 + 3 read straight, with i0 - m the same for every interior m.
        inside &&= c.indices[k + 3] === i0 + 3 && (c.indices[k + 1] as number) === i0 + 1 && (c.indices[k + 2] as number) === i0 + 2;
      }
      if (!inside) continue;
      if (lo < 0) {
        lo = m;
        for (let p = 0; p < s; p++) {
          first[p] = (c.indices[(m * s + p) * 4] as number) - m;
          weights.set(c.weights.subarray((m * s + p) * 4, (m * s + p) * 4 + 4), p * 4);
        }
      } else if (hi !== m) {
        ok = false; // interior runs must be contiguous
        break;
      }
      for (let p = 0; p < s && ok; p++) {
        const k = (m * s + p) * 4;
        ok = (c.indices[k] as number) - m === first[p];
        for (let t = 0; t < 4 && ok; t++) ok = c.weights[k + t] === weights[p * 4 + t];
      }
      hi = m + 1;
    }
    if (ok && lo >= 0) result = { s, first, weights, lo, hi };
  }
  phaseCache.set(c, result);
  return result;
};

/** Outputs `from` … `to` − 1 of one row of a four-tap horizontal pass, unrolled. */
const fourTaps = (
  tmp: Float32Array,
  plane: Float32Array,
  { indices, weights }: Contributions,
  rowIn: number,
  rowOut: number,
  from: number,
  to: number,
): void => {
  for (let x = from, k = from * 4; x < to; x++, k += 4) {
    tmp[rowOut + x] =
      (weights[k] as number) * (plane[rowIn + (indices[k] as number)] as number) +
      (weights[k + 1] as number) * (plane[rowIn + (indices[k + 1] as number)] as number) +
      (weights[k + 2] as number) * (plane[rowIn + (indices[k + 2] as number)] as number) +
      (weights[k + 3] as number) * (plane[rowIn + (indices[k + 3] as number)] as number);
  }
};

/** The horizontal pass: each row of `plane` resized to `outWidth` into `tmp` (full height). */
const horizontalPass = (
  plane: Float32Array,
  tmp: Float32Array,
  cx: Contributions,
  width: number,
  height: number,
  outWidth: number,
): void => {
  const { taps, indices, weights } = cx;
  const phases = phasesOf(cx, width);
  for (let y = 0; y < height; y++) {
    const rowIn = y * width;
    const rowOut = y * outWidth;
    if (phases) {
      // The same sums as below, in the same order: the edges by their indices, the interior phase by phase.
      const { s, lo, hi } = phases;
      fourTaps(tmp, plane, cx, rowIn, rowOut, 0, lo * s);
      fourTaps(tmp, plane, cx, rowIn, rowOut, hi * s, outWidth);
      for (let p = 0; p < s; p++) {
        const w0 = phases.weights[4 * p] as number;
        const w1 = phases.weights[4 * p + 1] as number;
        const w2 = phases.weights[4 * p + 2] as number;
        const w3 = phases.weights[4 * p + 3] as number;
        const at = rowIn + (phases.first[p] as number);
        for (let m = lo, o = rowOut + lo * s + p; m < hi; m++, o += s) {
          tmp[o] =
            w0 * (plane[at + m] as number) +
            w1 * (plane[at + m + 1] as number) +
            w2 * (plane[at + m + 2] as number) +
            w3 * (plane[at + m + 3] as number);
        }
      }
      continue;
    }
    if (taps === 4) {
      // Every upscale (the chroma path, the bicubic baseline) has four taps: unrolled.
      fourTaps(tmp, plane, cx, rowIn, rowOut, 0, outWidth);
      continue;
    }
    if (taps === 8) {
      // Antialiased halving (the quality probe's downscales): unrolled like the four-tap case.
      for (let x = 0, k = 0; x < outWidth; x++, k += 8) {
        tmp[rowOut + x] =
          (weights[k] as number) * (plane[rowIn + (indices[k] as number)] as number) +
          (weights[k + 1] as number) * (plane[rowIn + (indices[k + 1] as number)] as number) +
          (weights[k + 2] as number) * (plane[rowIn + (indices[k + 2] as number)] as number) +
          (weights[k + 3] as number) * (plane[rowIn + (indices[k + 3] as number)] as number) +
          (weights[k + 4] as number) * (plane[rowIn + (indices[k + 4] as number)] as number) +
          (weights[k + 5] as number) * (plane[rowIn + (indices[k + 5] as number)] as number) +
          (weights[k + 6] as number) * (plane[rowIn + (indices[k + 6] as number)] as number) +
          (weights[k + 7] as number) * (plane[rowIn + (indices[k + 7] as number)] as number);
      }
      continue;
    }
    for (let x = 0; x < outWidth; x++) {
      let acc = 0;
      const base = x * taps;
      for (let t = 0; t < taps; t++) acc += (weights[base + t] as number) * (plane[rowIn + (indices[base + t] as number)] as number);
      tmp[rowOut + x] = acc;
    }
  }
};

/** The vertical pass: `tmp`'s columns resized to `outHeight` into `out`. */
const verticalPass = (tmp: Float32Array, out: Float32Array, cy: Contributions, outWidth: number, outHeight: number): void => {
  if (cy.taps !== 4) out.fill(0);
  const cyTaps = cy.taps;
  for (let y = 0; y < outHeight; y++) {
    const base = y * cyTaps;
    const rowOut = y * outWidth;
    if (cyTaps === 4) {
      const w0 = cy.weights[base] as number;
      const w1 = cy.weights[base + 1] as number;
      const w2 = cy.weights[base + 2] as number;
      const w3 = cy.weights[base + 3] as number;
      const r0 = (cy.indices[base] as number) * outWidth;
      const r1 = (cy.indices[base + 1] as number) * outWidth;
      const r2 = (cy.indices[base + 2] as number) * outWidth;
      const r3 = (cy.indices[base + 3] as number) * outWidth;
      for (let x = 0; x < outWidth; x++) {
        out[rowOut + x] =
          w0 * (tmp[r0 + x] as number) + w1 * (tmp[r1 + x] as number) + w2 * (tmp[r2 + x] as number) + w3 * (tmp[r3 + x] as number);
      }
      continue;
    }
    for (let t = 0; t < cyTaps; t++) {
      const w = cy.weights[base + t] as number;
      if (w === 0) continue;
      const rowIn = (cy.indices[base + t] as number) * outWidth;
      for (let x = 0; x < outWidth; x++) out[rowOut + x] = (out[rowOut + x] as number) + w * (tmp[rowIn + x] as number);
    }
  }
};

/** Resizes a `width × height` plane to `outWidth × outHeight`; returns floats in the input's units. */
export const resizeBicubic = (
  src: ArrayLike<number>,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  options: ResizeOptions = {},
): Float32Array => {
  const cx = contributions(width, outWidth, options.scaleX, options.shiftX);
  const cy = contributions(height, outHeight, options.scaleY);
  // One monomorphic element type for the inner loops (a Uint8Array here and a Float32Array elsewhere would make
  // every access below polymorphic, about 3x slower).
  const plane = src instanceof Float32Array ? src : toFloat32(src, width * height);
  // Horizontal pass into a width-resized, full-height buffer; then vertical.
  const tmp = grow('rows', outWidth * height);
  horizontalPass(plane, tmp, cx, width, height, outWidth);
  const out = options.into ?? new Float32Array(outWidth * outHeight);
  if (out.length !== outWidth * outHeight)
    throw new RangeError(`resizeBicubic: into has ${out.length} samples, expected ${outWidth * outHeight}`);
  verticalPass(tmp, out, cy, outWidth, outHeight);
  return out;
};

/**
 * Rounds (half up, as Math.round) and clamps floats (times `gain`) into integer samples in [0, max].
 *
 * Written as floor(x + 0.5) with the clamps first and a truncation last, not as Math.round: V8's Math.round
 * branches on each value's fraction, which real pictures make unpredictable (6.9 ms for a 1280×720 plane of
 * network output here, against 2.0 ms on a regular test pattern); this form has only the clamps' branches,
 * almost always not taken (1.4 ms). It gives Math.round's results: a float32 times a gain of at most 12 bits
 * plus 0.5 is exact in a double, and NaN still becomes 0. Uint8ClampedArray would be faster still but rounds
 * ties to even.
 */
export const quantize = <T extends Uint8Array | Uint16Array>(src: Float32Array, dst: T, max: number, gain = 1): T => {
  const top = max + 1;
  for (let i = 0; i < src.length; i++) {
    const f = (src[i] as number) * gain + 0.5;
    dst[i] = f >= top ? max : f < 1 ? 0 : f | 0;
  }
  return dst;
};

/** Resizes interleaved 8-bit samples (RGB, RGBA, …) channel by channel. */
export const resizeInterleaved = (
  data: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  channels = 3,
): Uint8Array => {
  const out = new Uint8Array(outWidth * outHeight * channels);
  const plane = new Float32Array(width * height);
  const resized = new Uint8Array(outWidth * outHeight);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < width * height; i++) plane[i] = data[i * channels + c] as number;
    quantize(resizeBicubic(plane, width, height, outWidth, outHeight), resized, 255);
    for (let i = 0; i < outWidth * outHeight; i++) out[i * channels + c] = resized[i] as number;
  }
  return out;
};

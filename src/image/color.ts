/**
 * BT.601 studio-range YCbCr (the super-resolution field's convention, MATLAB `rgb2ycbcr`):
 * Y = 16 + 65.481 R + 128.553 G + 24.966 B for R, G, B in [0, 1].
 */

const M = [
  [65.481, 128.553, 24.966],
  [-37.797, -74.203, 112.0],
  [112.0, -93.786, -18.214],
] as const;
const OFFSET = [16, 128, 128] as const;

const invert3 = (m: readonly (readonly number[])[]): number[][] => {
  const [a, b, c] = m as [number[], number[], number[]];
  const [a0, a1, a2] = a as [number, number, number];
  const [b0, b1, b2] = b as [number, number, number];
  const [c0, c1, c2] = c as [number, number, number];
  const det = a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0);
  return [
    [(b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det, (a1 * b2 - a2 * b1) / det],
    [(b2 * c0 - b0 * c2) / det, (a0 * c2 - a2 * c0) / det, (a2 * b0 - a0 * b2) / det],
    [(b0 * c1 - b1 * c0) / det, (a1 * c0 - a0 * c1) / det, (a0 * b1 - a1 * b0) / det],
  ];
};
const INV = invert3(M);

export interface YCbCrPlanes {
  readonly y: Float32Array;
  readonly cb: Float32Array;
  readonly cr: Float32Array;
}

/** Interleaved 8-bit RGB (`channels` ≥ 3, extra channels ignored) to float Y, Cb, Cr planes in 0..255 units. */
export const rgbToYcbcr = (rgb: ArrayLike<number>, pixels: number, channels = 3): YCbCrPlanes => {
  const y = new Float32Array(pixels);
  const cb = new Float32Array(pixels);
  const cr = new Float32Array(pixels);
  const [m0, m1, m2] = M;
  for (let i = 0; i < pixels; i++) {
    const r = (rgb[i * channels] as number) / 255;
    const g = (rgb[i * channels + 1] as number) / 255;
    const b = (rgb[i * channels + 2] as number) / 255;
    y[i] = OFFSET[0] + m0[0] * r + m0[1] * g + m0[2] * b;
    cb[i] = OFFSET[1] + m1[0] * r + m1[1] * g + m1[2] * b;
    cr[i] = OFFSET[2] + m2[0] * r + m2[1] * g + m2[2] * b;
  }
  return { y, cb, cr };
};

/** Y only (the quality protocol's channel). */
export const rgbToY = (rgb: ArrayLike<number>, pixels: number, channels = 3): Float32Array => rgbToYcbcr(rgb, pixels, channels).y;

/** Float Y, Cb, Cr planes back to interleaved 8-bit RGB (rounded, clamped). */
export const ycbcrToRgb = ({ y, cb, cr }: YCbCrPlanes): Uint8Array => {
  const out = new Uint8Array(y.length * 3);
  const [i0, i1, i2] = INV as [number[], number[], number[]];
  for (let i = 0; i < y.length; i++) {
    const dy = (y[i] as number) - OFFSET[0];
    const db = (cb[i] as number) - OFFSET[1];
    const dr = (cr[i] as number) - OFFSET[2];
    out[i * 3] = clamp255(255 * ((i0[0] as number) * dy + (i0[1] as number) * db + (i0[2] as number) * dr));
    out[i * 3 + 1] = clamp255(255 * ((i1[0] as number) * dy + (i1[1] as number) * db + (i1[2] as number) * dr));
    out[i * 3 + 2] = clamp255(255 * ((i2[0] as number) * dy + (i2[1] as number) * db + (i2[2] as number) * dr));
  }
  return out;
};

const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

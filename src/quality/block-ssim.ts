/**
 * SSIM as ffmpeg's `ssim` filter (and x264) compute it: sums over 4×4 blocks, SSIM of every 8×8 window made of
 * 2×2 neighbouring blocks (so windows step by 4 samples), unweighted, averaged. Columns and rows past the last
 * whole 4-sample block are ignored, as ffmpeg does. This is the per-frame video metric (comparable with
 * `ffmpeg -lavfi ssim`); `ssim.ts` is the Gaussian-window SSIM the super-resolution papers report on images.
 */
import { checkSameSize } from './psnr.js';

export const blockSsim = (a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, peak = 255): number => {
  checkSameSize(a, b, width, height);
  const bw = width >> 2;
  const bh = height >> 2;
  if (bw < 2 || bh < 2) throw new RangeError(`block SSIM needs at least 8x8 samples, not ${width}x${height}`);
  // Per 4×4 block: Σa, Σb, Σa²+Σb², Σab. Float64 is exact here (at most 16 × 1023² per term).
  const s1 = new Float64Array(bw * bh);
  const s2 = new Float64Array(bw * bh);
  const ss = new Float64Array(bw * bh);
  const s12 = new Float64Array(bw * bh);
  for (let y = 0; y < bh * 4; y++) {
    const rowBlocks = (y >> 2) * bw;
    const row = y * width;
    for (let bx = 0; bx < bw; bx++) {
      let t1 = 0;
      let t2 = 0;
      let tss = 0;
      let t12 = 0;
      for (let x = row + bx * 4, end = x + 4; x < end; x++) {
        const p = a[x] as number;
        const q = b[x] as number;
        t1 += p;
        t2 += q;
        tss += p * p + q * q;
        t12 += p * q;
      }
      const k = rowBlocks + bx;
      s1[k] = (s1[k] as number) + t1;
      s2[k] = (s2[k] as number) + t2;
      ss[k] = (ss[k] as number) + tss;
      s12[k] = (s12[k] as number) + t12;
    }
  }
  // ffmpeg rounds the constants to integers: (int)(.01²·255²·64 + .5) = 416 and (int)(.03²·255²·64·63 + .5) = 235963.
  const c1 = Math.floor(0.01 * 0.01 * peak * peak * 64 + 0.5);
  const c2 = Math.floor(0.03 * 0.03 * peak * peak * 64 * 63 + 0.5);
  let total = 0;
  for (let by = 0; by < bh - 1; by++) {
    for (let k = by * bw, end = k + bw - 1; k < end; k++) {
      const d = k + bw; // the block below
      const f1 = (s1[k] as number) + (s1[k + 1] as number) + (s1[d] as number) + (s1[d + 1] as number);
      const f2 = (s2[k] as number) + (s2[k + 1] as number) + (s2[d] as number) + (s2[d + 1] as number);
      const fss = (ss[k] as number) + (ss[k + 1] as number) + (ss[d] as number) + (ss[d + 1] as number);
      const f12 = (s12[k] as number) + (s12[k + 1] as number) + (s12[d] as number) + (s12[d + 1] as number);
      const vars = fss * 64 - f1 * f1 - f2 * f2;
      const covar = f12 * 64 - f1 * f2;
      total += ((2 * f1 * f2 + c1) * (2 * covar + c2)) / ((f1 * f1 + f2 * f2 + c1) * (vars + c2));
    }
  }
  return total / ((bh - 1) * (bw - 1));
};

/**
 * SSIM (Wang et al. 2004) as the SR literature computes it: 11×11 Gaussian window, σ = 1.5, K1 = 0.01,
 * K2 = 0.03, 'valid' filtering, mean of the SSIM map, after cropping `crop` samples at each border.
 */
import { checkSameSize, type PlaneMetric } from './psnr.js';

const WINDOW = 11;
const SIGMA = 1.5;

const gaussian = (): Float64Array => {
  const g = new Float64Array(WINDOW);
  const r = (WINDOW - 1) / 2;
  let sum = 0;
  for (let i = 0; i < WINDOW; i++) {
    g[i] = Math.exp(-((i - r) ** 2) / (2 * SIGMA * SIGMA));
    sum += g[i] as number;
  }
  return g.map((v) => v / sum);
};
const G = gaussian();

/** Separable 'valid' Gaussian filter of a w×h plane: (w-10)×(h-10) out. */
const filterValid = (src: Float64Array, w: number, h: number): Float64Array => {
  const ow = w - WINDOW + 1;
  const oh = h - WINDOW + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < WINDOW; k++) acc += (G[k] as number) * (src[y * w + x + k] as number);
      tmp[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < WINDOW; k++) acc += (G[k] as number) * (tmp[(y + k) * ow + x] as number);
      out[y * ow + x] = acc;
    }
  }
  return out;
};

export const ssim: PlaneMetric = (a, b, width, height, { crop = 0, peak = 255 } = {}) => {
  checkSameSize(a, b, width, height);
  const w = width - 2 * crop;
  const h = height - 2 * crop;
  if (w < WINDOW || h < WINDOW) throw new RangeError(`SSIM needs at least ${WINDOW}x${WINDOW} after cropping`);
  const x = new Float64Array(w * h);
  const y = new Float64Array(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      x[r * w + c] = a[(r + crop) * width + c + crop] as number;
      y[r * w + c] = b[(r + crop) * width + c + crop] as number;
    }
  }
  const xx = x.map((v) => v * v);
  const yy = y.map((v) => v * v);
  const xy = x.map((v, i) => v * (y[i] as number));
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((p) => filterValid(p, w, h)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const c1 = (0.01 * peak) ** 2;
  const c2 = (0.03 * peak) ** 2;
  let sum = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i] as number;
    const uy = my[i] as number;
    const vx = (sxx[i] as number) - ux * ux;
    const vy = (syy[i] as number) - uy * uy;
    const cxy = (sxy[i] as number) - ux * uy;
    sum += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return sum / mx.length;
};

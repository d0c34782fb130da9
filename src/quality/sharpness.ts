/**
 * Sharpness against a ground truth: the gradient ratio, mean Sobel gradient magnitude of a plane over that of
 * the truth, on the same cropped region. 1.0 is the truth's amount of edge and texture; a blurred plane scores
 * below it (bicubic upscaling at x4: 0.69 on Set5, 0.57 on Set14), one with invented or exaggerated detail can score above
 * it. PSNR and SSIM say how faithful a plane is; this says how much detail it holds, right or wrong, which is
 * what an adversarially trained network (srgan) trades fidelity for. training/data.py's gradient_ratio is the
 * same measure.
 */
import { checkSameSize, type PlaneMetricOptions } from './psnr.js';

/** Mean Sobel gradient magnitude of the plane, `crop` samples off each border (and the 3×3 window inside it). */
export const meanGradient = (a: ArrayLike<number>, width: number, height: number, crop = 0): number => {
  const [x0, x1, y0, y1] = [crop + 1, width - crop - 1, crop + 1, height - crop - 1];
  if (x1 <= x0 || y1 <= y0) throw new RangeError(`crop ${crop} leaves no 3x3 window of a ${width}x${height} plane`);
  let sum = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const at = (dx: number, dy: number): number => a[(y + dy) * width + x + dx] as number;
      const gx = at(1, -1) + 2 * at(1, 0) + at(1, 1) - at(-1, -1) - 2 * at(-1, 0) - at(-1, 1);
      const gy = at(-1, 1) + 2 * at(0, 1) + at(1, 1) - at(-1, -1) - 2 * at(0, -1) - at(1, -1);
      sum += Math.hypot(gx, gy);
    }
  }
  return sum / ((x1 - x0) * (y1 - y0));
};

/** The gradient ratio of `a` to the ground truth `truth` (NaN when the truth is flat). */
export const gradientRatio = (
  a: ArrayLike<number>,
  truth: ArrayLike<number>,
  width: number,
  height: number,
  { crop = 0 }: PlaneMetricOptions = {},
): number => {
  checkSameSize(a, truth, width, height);
  const t = meanGradient(truth, width, height, crop);
  return t > 0 ? meanGradient(a, width, height, crop) / t : NaN;
};

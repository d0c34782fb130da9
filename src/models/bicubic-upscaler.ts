/**
 * Plain bicubic upscaling of whole frames, on the calling thread: live mode's fallback when the network falls
 * behind. The same kernel as the chroma path and the quality probe's bicubic baseline.
 */
import { bitDepth, allocateFrame, type Frame } from '../pipeline/frame.js';
import type { Upscaled, Upscaler } from '../pipeline/ports.js';
import { leftSitedShift, quantize, resizeBicubic } from '../image/resize.js';

export const createBicubicUpscaler = (scale: number): Upscaler => ({
  scale,
  runtime: { model: 'bicubic', backend: 'js', workers: 1, threadsPerWorker: null },
  parallelism: 1,
  upscale: async (frame: Frame): Promise<Upscaled> => {
    const t = performance.now();
    const max = (1 << bitDepth(frame.format.pixFmt)) - 1;
    const out = allocateFrame(frame.index, frame.ptsMs, { ...frame.format, width: frame.format.width * scale, height: frame.format.height * scale });
    frame.planes.forEach((src, i) => {
      const dst = out.planes[i];
      if (!dst) return;
      // Chroma samples are left-sited in 4:2:0; luma needs no shift.
      const shiftX = i === 0 ? 0 : leftSitedShift(scale);
      quantize(resizeBicubic(src.data, src.width, src.height, dst.width, dst.height, { scaleX: scale, scaleY: scale, shiftX }), dst.data, max);
    });
    return { frame: out, times: { convertMs: 0, inferenceMs: 0, chromaMs: performance.now() - t } };
  },
  dispose: async () => {},
});

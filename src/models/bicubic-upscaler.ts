/**
 * Plain bicubic upscaling of whole frames, on the calling thread: live mode's fallback when the network falls
 * behind. The same kernel as the chroma path and the quality probe's bicubic baseline.
 *
 * It runs exactly when the cores are already short, so it keeps its float planes from frame to frame: a fresh
 * 3.7 MB plane for each 720p frame cost about 10 ms of page faults, more than the resize itself (measured
 * 14 → 4 ms for Y). `warmUp` compiles its loops and allocates them before a stream's first frames arrive (about
 * 0.1 s): cold, its first calls at 640×360 took 100, then 27–30 ms each, while the start-up burst is what sends
 * frames here; warm, 13–18 ms.
 */
import { bitDepth, allocateFrame, type Frame, type FrameFormat } from '../pipeline/frame.js';
import type { Upscaled, Upscaler } from '../pipeline/ports.js';
import { leftSitedShift, quantize, resizeBicubic } from '../image/resize.js';

export interface BicubicUpscaler extends Upscaler {
  /** Runs the resize on small frames until the JIT has compiled it, then once on a frame of `format` (its buffers). */
  warmUp(format: FrameFormat): Promise<void>;
}

/** Calls on a 64×36 frame that leave every loop compiled. */
const WARM_CALLS = 40;

export const createBicubicUpscaler = (scale: number): BicubicUpscaler => {
  const planes: Float32Array[] = [];
  const planeOf = (i: number, n: number): Float32Array => {
    const have = planes[i];
    if (have && have.length >= n) return have.subarray(0, n);
    return (planes[i] = new Float32Array(n));
  };
  const upscale = async (frame: Frame): Promise<Upscaled> => {
    const t = performance.now();
    const max = (1 << bitDepth(frame.format.pixFmt)) - 1;
    const out = allocateFrame(frame.index, frame.ptsMs, { ...frame.format, width: frame.format.width * scale, height: frame.format.height * scale });
    frame.planes.forEach((src, i) => {
      const dst = out.planes[i];
      if (!dst) return;
      // Chroma samples are left-sited in 4:2:0; luma needs no shift.
      const shiftX = i === 0 ? 0 : leftSitedShift(scale);
      const into = planeOf(i, dst.width * dst.height);
      quantize(resizeBicubic(src.data, src.width, src.height, dst.width, dst.height, { scaleX: scale, scaleY: scale, shiftX, into }), dst.data, max);
    });
    return { frame: out, times: { convertMs: 0, inferenceMs: 0, chromaMs: performance.now() - t } };
  };
  return {
    scale,
    runtime: { model: 'bicubic', backend: 'js', workers: 1, threadsPerWorker: null },
    parallelism: 1,
    upscale,
    warmUp: async (format) => {
      const small = allocateFrame(0, 0, { width: 64, height: 36, pixFmt: format.pixFmt });
      for (let k = 0; k < WARM_CALLS; k++) await upscale(small);
      await upscale(allocateFrame(0, 0, format));
    },
    dispose: async () => {},
  };
};

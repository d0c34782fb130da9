/**
 * The per-frame quality probe, in the three modes of DESIGN.md decision 6. Each frame yields PSNR-Y and
 * SSIM-Y for srvid's output and for plain bicubic upscaling of the same model input, against:
 * - `reference`: the frame of a given high-resolution video at the same time;
 * - `self`: the input itself, which the probe first downscales (antialiased bicubic) for the model;
 * - `consistency`: the input, compared with the output downscaled back to the input's size.
 * Intermediate planes are rounded to whole samples, as they would be in a video.
 */
import { allocateFrame, bitDepth, type Frame, type Plane, type Samples } from '../pipeline/frame.js';
import { leftSitedShift, quantize, resizeBicubic } from '../image/resize.js';
import type { FrameQuality, MetricPair, QualityMode, QualityProbe } from '../pipeline/ports.js';
import { blockSsim } from './block-ssim.js';
import { psnr } from './psnr.js';

export interface QualityProbeOptions {
  readonly mode: QualityMode;
  readonly scale: number;
  /** `reference` mode: the ground-truth frame for an output frame (null when there is none). */
  readonly reference?: (output: Frame) => Promise<Frame | null>;
  readonly close?: () => Promise<void>;
}

const blank = (data: Samples, n: number): Samples => (data instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n));

/** Resizes a plane by `factor` (antialiased when < 1) into whole samples of the same depth. */
export const resizePlane = (p: Plane, width: number, height: number, factor: number, max: number, shiftX = 0): Plane => {
  const out = blank(p.data, width * height);
  quantize(resizeBicubic(p.data, p.width, p.height, width, height, { scaleX: factor, scaleY: factor, shiftX }), out, max);
  return { width, height, data: out };
};

/** The top-left `width × height` of a plane. */
export const cropPlane = (p: Plane, width: number, height: number): Plane => {
  if (width === p.width && height === p.height) return p;
  const out = blank(p.data, width * height);
  for (let y = 0; y < height; y++) out.set(p.data.subarray(y * p.width, y * p.width + width), y * width);
  return { width, height, data: out };
};

/** `self` mode's degradation: every plane downscaled by 1/scale (antialiased bicubic, chroma kept left-sited). */
export const downscaleFrame = (frame: Frame, scale: number): Frame => {
  const width = Math.floor(frame.format.width / scale);
  const height = Math.floor(frame.format.height / scale);
  if (width < 8 || height < 8)
    throw new RangeError(`a ${frame.format.width}x${frame.format.height} frame is too small to downscale by ${scale}`);
  const max = (1 << bitDepth(frame.format.pixFmt)) - 1;
  const out = allocateFrame(frame.index, frame.ptsMs, { ...frame.format, width, height });
  out.planes.forEach((dst, i) => {
    const src = frame.planes[i] as Plane;
    const shift = i === 0 ? 0 : leftSitedShift(1 / scale);
    dst.data.set(resizePlane(src, dst.width, dst.height, 1 / scale, max, shift).data);
  });
  return out;
};

const time = <T>(costs: Record<string, number>, key: string, f: () => T): T => {
  const t0 = performance.now();
  const result = f();
  costs[key] = (costs[key] ?? 0) + performance.now() - t0;
  return result;
};

export const createQualityProbe = (o: QualityProbeOptions): QualityProbe => {
  const s = o.scale;
  if (o.mode === 'reference' && !o.reference) throw new TypeError('reference mode needs a reference');
  const crop = o.mode === 'self' ? s : 0; // the SR protocol crops `scale` at each border
  return {
    mode: o.mode,
    crop,
    prepare: (frame) => (o.mode === 'self' ? downscaleFrame(frame, s) : frame),
    measure: async (source, modelInput, output): Promise<FrameQuality | null> => {
      const depth = bitDepth(output.format.pixFmt);
      const max = (1 << depth) - 1;
      const truth = o.mode === 'reference' ? await o.reference!(output) : source;
      if (!truth) return null;
      const costs: Record<string, number> = {};
      const [low] = modelInput.planes;
      const [out] = output.planes;
      const bicubic = time(costs, 'bicubic', () => resizePlane(low, out.width, out.height, s, max));
      let pair: [Plane, Plane, Plane]; // ground truth, srvid, bicubic: all the same size
      if (o.mode === 'consistency') {
        const [y] = truth.planes;
        pair = time(costs, 'resize', () => [
          y,
          resizePlane(out, y.width, y.height, 1 / s, max),
          resizePlane(bicubic, y.width, y.height, 1 / s, max),
        ]);
      } else {
        if (truth.format.width < out.width || truth.format.height < out.height) {
          throw new RangeError(`reference frame is ${truth.format.width}x${truth.format.height}, output ${out.width}x${out.height}`);
        }
        pair = [cropPlane(truth.planes[0], out.width, out.height), out, bicubic];
      }
      const inner = (q: Plane): Plane => (crop ? cropBorder(q, crop) : q);
      const [g, sr, bc] = pair.map(inner) as [Plane, Plane, Plane];
      const metric = (p: Plane): MetricPair => ({
        psnr: time(costs, 'psnr', () => psnr(g.data, p.data, g.width, g.height, { peak: max })),
        ssim: time(costs, 'ssim', () => blockSsim(g.data, p.data, g.width, g.height, max)),
      });
      const srvid = metric(sr);
      const base = metric(bc);
      return {
        srvid,
        bicubic: base,
        costMs: { bicubic: costs.bicubic ?? 0, resize: costs.resize ?? 0, psnr: costs.psnr ?? 0, ssim: costs.ssim ?? 0 },
      };
    },
    close: () => o.close?.() ?? Promise.resolve(),
  };
};

/** A plane without `c` samples at each border. */
export const cropBorder = (p: Plane, c: number): Plane => {
  const width = p.width - 2 * c;
  const height = p.height - 2 * c;
  const out = blank(p.data, width * height);
  for (let y = 0; y < height; y++) out.set(p.data.subarray((y + c) * p.width + c, (y + c) * p.width + c + width), y * width);
  return { width, height, data: out };
};

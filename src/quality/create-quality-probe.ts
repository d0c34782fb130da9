/**
 * The per-frame quality probe, in the three modes of DESIGN.md decision 6. Each frame yields PSNR-Y and
 * SSIM-Y for srvid's output and for plain bicubic upscaling of the same model input, against:
 * - `reference`: the frame of a given high-resolution video at the same time;
 * - `self`: the input itself, which the probe first downscales (antialiased bicubic) for the model;
 * - `consistency`: the input, compared with the output downscaled back to the input's size. That is faithfulness
 *   to the input, not detail; so with a `shadow`, every Nth frame also gets a detail estimate: the input frame
 *   degraded as `self` mode does, upscaled by the network (an extra, small inference whose result is only
 *   measured) and by bicubic, both compared with the input frame itself.
 * Intermediate planes are rounded to whole samples, as they would be in a video.
 */
import { allocateFrame, bitDepth, type Frame, type Plane, type Samples } from '../pipeline/frame.js';
import { leftSitedShift, quantize, resizeBicubic } from '../image/resize.js';
import type { DetailEstimate, FrameQuality, MetricPair, QualityMode, QualityProbe } from '../pipeline/ports.js';
import { blockSsim } from './block-ssim.js';
import { psnr } from './psnr.js';

export interface QualityProbeOptions {
  readonly mode: QualityMode;
  readonly scale: number;
  /** `reference` mode: the ground-truth frame for an output frame (null when there is none). */
  readonly reference?: (output: Frame) => Promise<Frame | null>;
  readonly close?: () => Promise<void>;
  /** `consistency` mode only: a detail estimate on every `every`-th frame (see DetailEstimate). */
  readonly shadow?: ShadowOptions;
}

export interface ShadowOptions {
  /** Frames whose index is a multiple of `every` (0 included) get a detail estimate. A positive integer. */
  readonly every: number;
  /**
   * The network on a low-resolution frame (the run's own upscaler): given the input frame downscaled by the
   * scale, it returns that frame upscaled by the scale. Its result is measured and dropped, never output.
   */
  readonly upscale: (lr: Frame) => Promise<Frame>;
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

/** PSNR-Y and SSIM-Y of `test` against `truth` (same size), timed into `costs[key]`. */
const compare = (truth: Plane, test: Plane, max: number, costs: Record<string, number>, psnrKey: string, ssimKey: string): MetricPair => ({
  psnr: time(costs, psnrKey, () => psnr(truth.data, test.data, truth.width, truth.height, { peak: max })),
  ssim: time(costs, ssimKey, () => blockSsim(truth.data, test.data, truth.width, truth.height, max)),
});

/** A shadow frame on its way: the degraded input, the network's result (settled, never rejecting), main-thread ms. */
interface Shadow {
  readonly lr: Frame;
  readonly sr: Promise<{ readonly frame: Frame } | { readonly error: unknown }>;
  readonly ms: number;
}

/**
 * The detail estimate of one shadow frame: the input's luma against the network's and bicubic's upscaling of
 * its degraded copy, both cropped to the upscaled size and then by `scale` at each border, as in `self` mode.
 */
const measureShadow = (source: Frame, lr: Frame, sr: Frame, scale: number, max: number, costs: Record<string, number>): DetailEstimate => {
  const [low] = lr.planes;
  const width = low.width * scale;
  const height = low.height * scale;
  if (sr.format.width !== width || sr.format.height !== height) {
    throw new RangeError(`the shadow upscale returned ${sr.format.width}x${sr.format.height}, expected ${width}x${height}`);
  }
  const [truth, net, bicubic] = time(costs, 'shadow', () => [
    cropBorder(cropPlane(source.planes[0], width, height), scale),
    cropBorder(sr.planes[0], scale),
    cropBorder(resizePlane(low, width, height, scale, max), scale),
  ]);
  return {
    srvid: compare(truth, net, max, costs, 'shadow', 'shadow'),
    bicubic: compare(truth, bicubic, max, costs, 'shadow', 'shadow'),
  };
};

/** Degrades the input (main thread, timed) and hands it to the network; null when the frame is too small. */
const startShadowOf = (upscale: (lr: Frame) => Promise<Frame>, frame: Frame, s: number): Shadow | null => {
  if (Math.floor(frame.format.width / s) < 8 || Math.floor(frame.format.height / s) < 8) return null;
  const t0 = performance.now();
  const lr = downscaleFrame(frame, s);
  const ms = performance.now() - t0;
  let sr: Shadow['sr'];
  try {
    sr = upscale(lr).then(
      (frame) => ({ frame }),
      (error: unknown) => ({ error }),
    );
  } catch (error) {
    sr = Promise.resolve({ error });
  }
  return { lr, sr, ms };
};

/**
 * The ground truth, srvid's output and bicubic's, all the same size: in consistency mode both outputs are
 * downscaled back to the input; otherwise the truth is cropped to the output.
 */
const samePlanes = (
  mode: QualityMode,
  truth: Frame,
  out: Plane,
  bicubic: Plane,
  s: number,
  max: number,
  costs: Record<string, number>,
): [Plane, Plane, Plane] => {
  if (mode === 'consistency') {
    const [y] = truth.planes;
    return time(costs, 'resize', () => [
      y,
      resizePlane(out, y.width, y.height, 1 / s, max),
      resizePlane(bicubic, y.width, y.height, 1 / s, max),
    ]);
  }
  if (truth.format.width < out.width || truth.format.height < out.height) {
    throw new RangeError(`reference frame is ${truth.format.width}x${truth.format.height}, output ${out.width}x${out.height}`);
  }
  return [cropPlane(truth.planes[0], out.width, out.height), out, bicubic];
};

export const createQualityProbe = (o: QualityProbeOptions): QualityProbe => {
  const s = o.scale;
  if (o.mode === 'reference' && !o.reference) throw new TypeError('reference mode needs a reference');
  const sh = o.shadow;
  if (sh && o.mode !== 'consistency') throw new TypeError(`a shadow detail estimate is for consistency mode, not ${o.mode}`);
  if (sh && !(Number.isInteger(sh.every) && sh.every > 0)) throw new RangeError(`shadow every must be a positive integer, not ${sh.every}`);
  const crop = o.mode === 'self' ? s : 0; // the SR protocol crops `scale` at each border
  // Shadow frames started by prepare() and not yet measured: at most the frames in flight, one in `every`.
  const pending = new Map<number, Shadow>();
  const onGrid = (frame: Frame): boolean => sh !== undefined && frame.index % sh.every === 0;
  const startShadow = (frame: Frame): Shadow | null => (sh ? startShadowOf(sh.upscale, frame, s) : null);
  return {
    mode: o.mode,
    crop,
    detailEvery: sh?.every ?? null,
    prepare: (frame, shadow = true) => {
      if (o.mode === 'self') return downscaleFrame(frame, s);
      // The shadow starts here, so its inference runs beside the frame's own instead of holding up measure().
      if (shadow && onGrid(frame) && !pending.has(frame.index)) {
        const shadow = startShadow(frame);
        if (shadow) pending.set(frame.index, shadow);
      }
      return frame;
    },
    measure: async (source, modelInput, output): Promise<FrameQuality | null> => {
      const depth = bitDepth(output.format.pixFmt);
      const max = (1 << depth) - 1;
      const truth = o.mode === 'reference' ? await o.reference!(output) : source;
      if (!truth) return null;
      const costs: Record<string, number> = {};
      const [low] = modelInput.planes;
      const [out] = output.planes;
      const bicubic = time(costs, 'bicubic', () => resizePlane(low, out.width, out.height, s, max));
      const pair = samePlanes(o.mode, truth, out, bicubic, s, max, costs);
      const inner = (q: Plane): Plane => (crop ? cropBorder(q, crop) : q);
      const [g, sr, bc] = pair.map(inner) as [Plane, Plane, Plane];
      const srvid = compare(g, sr, max, costs, 'psnr', 'ssim');
      const base = compare(g, bc, max, costs, 'psnr', 'ssim');
      let detail: DetailEstimate | undefined;
      const prepared = pending.get(source.index);
      for (const index of pending.keys()) if (index <= source.index) pending.delete(index); // frames come in order
      if (o.mode === 'consistency' && onGrid(source)) {
        const shadow = prepared ?? startShadow(source); // started here when prepare() was not called
        if (shadow) {
          const result = await shadow.sr;
          if ('error' in result) throw result.error;
          costs.shadow = shadow.ms;
          detail = measureShadow(source, shadow.lr, result.frame, s, max, costs);
        }
      }
      return {
        srvid,
        bicubic: base,
        ...(detail ? { detail } : {}),
        costMs: {
          bicubic: costs.bicubic ?? 0,
          resize: costs.resize ?? 0,
          psnr: costs.psnr ?? 0,
          ssim: costs.ssim ?? 0,
          shadow: costs.shadow ?? 0,
        },
      };
    },
    release: (source) => void pending.delete(source.index),
    close: () => {
      pending.clear();
      return o.close?.() ?? Promise.resolve();
    },
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

/** A frame upscaler: the luma model on Y (in tiles when the frame is large), bicubic on the 4:2:0 chroma planes. */
import { allocateFrame, bitDepth, type Frame, type Plane } from '../../pipeline/frame.js';
import { leftSitedShift, quantize, resizeBicubic } from '../../image/resize.js';
import type { LumaModel, Upscaled, Upscaler } from '../../pipeline/ports.js';

/**
 * The network was trained on 8-bit Y/255. A 10-bit plane is fed as Y/1020 (= 4 × 255), so studio-range
 * levels line up with the 8-bit ones (64..940 ↔ 16..235).
 */
export const lumaPeak = (depth: number): number => 255 * (1 << (depth - 8));

/**
 * How a large plane is cut for the network: strips of full rows holding at most `maxPixels` input samples,
 * each read with `overlap` extra rows of real context above and below. With `overlap` at least the network's
 * receptive radius, every kept output row saw exactly the input the whole plane would have given it, so the
 * result equals the untiled one; it bounds the network's activation memory (about 100 floats per pixel).
 */
export interface Tiling {
  readonly maxPixels: number;
  readonly overlap: number;
  /**
   * Strips start on a multiple of this many rows (default 1). A network with strided stages (unet) computes a
   * different grid from a strip that starts elsewhere; aligned, each strip sees the frame's own grid.
   */
  readonly align?: number;
}

/** ESPCN's receptive radius (5×5 and two 3×3 convolutions); used when a model's metadata does not say. */
export const DEFAULT_OVERLAP = 4;
/**
 * 80 Ki input samples a tile: 640×360 runs in three strips (4 % more rows than the frame), 960×540 in eight.
 * Measured on the EPYC machine with two workers (CPU per frame in the steady state, bench/thread-cpu.ts):
 * against 64 Ki (four strips at 360p, 7 % more rows) the workers took 1.1 ms less a frame at 360p and 5 ms
 * less at 540p, for 2 MB more peak RSS at 360p (333 MB) and 8 MB at 540p (343 MB). Larger tiles cost more
 * memory than they save time: onnxruntime's arena keeps the largest activations each session has seen (peak
 * RSS 440 MB at 128 Ki and 495 MB untiled at 360p, for 2–4 % more fps).
 */
export const DEFAULT_TILE_PIXELS = 80 * 1024;

/**
 * The tile for a network whose widest layer has `channels` channels: DEFAULT_TILE_PIXELS is for 64 (ESPCN),
 * and the activations' memory goes with pixels × channels, so a narrower network gets larger tiles for the
 * same memory (SESR's 16 channels: 320 Ki, a whole 640×360 frame). Measured for sesr at 360p→720p: 8 % less
 * wall time than 80 Ki strips (9.5–9.8 s against 10.3–11.2 s for 150 frames), whose 9-row overlaps are 15 % more
 * rows.
 */
export const tilePixelsFor = (channels: number): number => Math.round((DEFAULT_TILE_PIXELS * 64) / Math.max(channels, 16));

export interface Strip {
  /** Input rows [inStart, inEnd) are fed; rows [keepStart, keepEnd) of the plane are kept from the result. */
  readonly inStart: number;
  readonly inEnd: number;
  readonly keepStart: number;
  readonly keepEnd: number;
}

/** Cuts `height` rows of `width` samples into strips (one strip when the plane fits the budget). */
export const stripsFor = (width: number, height: number, tiling: Tiling): Strip[] => {
  if (width * height <= tiling.maxPixels) return [{ inStart: 0, inEnd: height, keepStart: 0, keepEnd: height }];
  // At least 16 kept rows a strip, so a tiny budget costs overlap but never stalls.
  const rows = Math.max(16, Math.floor(tiling.maxPixels / width) - 2 * tiling.overlap);
  const strips: Strip[] = [];
  const align = tiling.align ?? 1;
  for (let keepStart = 0; keepStart < height; keepStart += rows) {
    const keepEnd = Math.min(height, keepStart + rows);
    const inStart = Math.floor(Math.max(0, keepStart - tiling.overlap) / align) * align;
    strips.push({ keepStart, keepEnd, inStart, inEnd: Math.min(height, keepEnd + tiling.overlap) });
  }
  return strips;
};

interface LumaTimes {
  readonly convertMs: number;
  readonly inferenceMs: number;
  /** Spent in `keep`. */
  readonly keepMs: number;
}

/** Receives the output rows a strip keeps (Y/peak, `rows.length / (width × scale)` rows), `outRow` the first. */
type KeepRows = (rows: Float32Array, outRow: number) => void;

/** Float buffers by purpose, reused from frame to frame (only where one frame is upscaled at a time). */
export type Buffers = (purpose: string, length: number) => Float32Array;
const fresh: Buffers = (_, length) => new Float32Array(length);
/** Buffers made by `make`, one for each purpose and length, kept. */
const poolOf =
  <T>(make: (length: number) => T) =>
  (): ((purpose: string, length: number) => T) => {
    const pool = new Map<string, T>();
    return (purpose, length) => {
      const key = `${purpose}:${length}`;
      let b = pool.get(key);
      if (!b) pool.set(key, (b = make(length)));
      return b;
    };
  };
export const pooled: () => Buffers = poolOf((length) => new Float32Array(length));
const pooledBytes = poolOf((length) => new Uint8Array(length));

/**
 * Y through the model strip by strip, each strip's kept rows handed to `keep` as soon as they exist, so the
 * caller rounds (or scales) them straight from the network's output without assembling a float plane first.
 */
const runLuma = async (model: LumaModel, plane: Plane, peak: number, tiling: Tiling, buffers: Buffers, keep: KeepRows): Promise<LumaTimes> => {
  const s = model.scale;
  const { width: w, height: h } = plane;
  let t = performance.now();
  const input = buffers('luma-in', w * h);
  const inv = 1 / peak;
  for (let i = 0; i < input.length; i++) input[i] = (plane.data[i] as number) * inv;
  const convertMs = performance.now() - t;
  let inferenceMs = 0;
  let keepMs = 0;
  const rowOut = w * s;
  for (const strip of stripsFor(w, h, tiling)) {
    const rows = strip.inEnd - strip.inStart;
    const whole = rows === h;
    t = performance.now();
    const part = await model.run(input.subarray(strip.inStart * w, strip.inEnd * w), w, rows, buffers(whole ? 'luma-out' : 'strip-out', rows * s * rowOut));
    inferenceMs += performance.now() - t;
    t = performance.now();
    const from = (strip.keepStart - strip.inStart) * s * rowOut;
    keep(part.subarray(from, from + (strip.keepEnd - strip.keepStart) * s * rowOut), strip.keepStart * s);
    keepMs += performance.now() - t;
  }
  return { convertMs, inferenceMs, keepMs };
};

/**
 * Y of an 8-bit frame through a model that reads and writes 8-bit planes (LumaModel.run8): each strip is read
 * straight from the frame's bytes, and a whole-frame strip is written straight into the output plane.
 */
const runLuma8 = async (
  run8: NonNullable<LumaModel['run8']>,
  scale: number,
  plane: Plane,
  out: Plane,
  tiling: Tiling,
  bytes: (purpose: string, length: number) => Uint8Array,
): Promise<LumaTimes> => {
  const { width: w, height: h } = plane;
  const rowOut = w * scale;
  const src = plane.data as Uint8Array;
  const dst = out.data as Uint8Array;
  let inferenceMs = 0;
  let keepMs = 0;
  for (const strip of stripsFor(w, h, tiling)) {
    const rows = strip.inEnd - strip.inStart;
    const whole = rows === h;
    let t = performance.now();
    const part = await run8(src.subarray(strip.inStart * w, strip.inEnd * w), w, rows, whole ? dst : bytes('strip-out', rows * scale * rowOut));
    inferenceMs += performance.now() - t;
    if (whole) continue;
    t = performance.now();
    const from = (strip.keepStart - strip.inStart) * scale * rowOut;
    dst.set(part.subarray(from, from + (strip.keepEnd - strip.keepStart) * scale * rowOut), strip.keepStart * scale * rowOut);
    keepMs += performance.now() - t;
  }
  return { convertMs: 0, inferenceMs, keepMs };
};

/** Y through the model, in the plane's sample units (not yet rounded). */
export const upscaleLuma = async (
  model: LumaModel,
  plane: Plane,
  depth: number,
  tiling: Tiling = { maxPixels: DEFAULT_TILE_PIXELS, overlap: DEFAULT_OVERLAP },
): Promise<Float32Array> => {
  const peak = lumaPeak(depth);
  const rowOut = plane.width * model.scale;
  const out = new Float32Array(rowOut * plane.height * model.scale);
  await runLuma(model, plane, peak, tiling, fresh, (rows, outRow) => {
    const at = outRow * rowOut;
    for (let i = 0; i < rows.length; i++) out[at + i] = (rows[i] as number) * peak;
  });
  return out;
};

/** An upscaled frame of `frame`'s format, `scale` times its size. */
export const allocateUpscaled = (frame: Frame, scale: number): Frame =>
  allocateFrame(frame.index, frame.ptsMs, { ...frame.format, width: frame.format.width * scale, height: frame.format.height * scale });

/** U and V of `frame` into `out` by bicubic (chroma left-sited), rounded; returns the milliseconds it took. */
export const upscaleChroma = (frame: Frame, out: Frame, scale: number, buffers: Buffers = fresh): number => {
  const t = performance.now();
  const max = (1 << bitDepth(frame.format.pixFmt)) - 1;
  for (const i of [1, 2]) {
    const src = frame.planes[i] as Plane;
    const dst = out.planes[i] as Plane;
    const into = buffers('chroma', dst.width * dst.height);
    quantize(resizeBicubic(src.data, src.width, src.height, dst.width, dst.height, { scaleX: scale, scaleY: scale, shiftX: leftSitedShift(scale), into }), dst.data, max);
  }
  return performance.now() - t;
};

/**
 * `reuseBuffers`: keep the float buffers from frame to frame (less garbage, less memory). Only for a caller
 * that awaits each frame before the next, as the worker does; the pipeline's in-thread path runs two at once.
 */
export const createFrameUpscaler = (
  model: LumaModel,
  tiling: Tiling = { maxPixels: DEFAULT_TILE_PIXELS, overlap: DEFAULT_OVERLAP },
  { reuseBuffers = false }: { reuseBuffers?: boolean } = {},
): Upscaler => {
  const s = model.scale;
  const buffers = reuseBuffers ? pooled() : fresh;
  // Chroma is resized and rounded synchronously, so its buffer can be reused even with frames in parallel.
  const chromaBuffers = pooled();
  const bytes = reuseBuffers ? pooledBytes() : (_: string, length: number) => new Uint8Array(length);
  const run8 = model.run8?.bind(model);
  return {
    scale: s,
    runtime: { model: model.name, backend: model.backend, workers: 1, threadsPerWorker: null },
    parallelism: 1,
    upscale: async (frame: Frame): Promise<Upscaled> => {
      const depth = bitDepth(frame.format.pixFmt);
      const max = (1 << depth) - 1;
      const out = allocateUpscaled(frame, s);
      const [y] = frame.planes;
      const [oy] = out.planes;
      const chromaMs = upscaleChroma(frame, out, s, chromaBuffers);
      if (depth === 8 && run8) {
        const luma = await runLuma8(run8, s, y, oy, tiling, bytes);
        return { frame: out, times: { convertMs: luma.keepMs, inferenceMs: luma.inferenceMs, chromaMs } };
      }
      const peak = lumaPeak(depth);
      const rowOut = oy.width;
      const luma = await runLuma(model, y, peak, tiling, buffers, (rows, outRow) =>
        quantize(rows, oy.data.subarray(outRow * rowOut, outRow * rowOut + rows.length), max, peak),
      );
      return { frame: out, times: { convertMs: luma.convertMs + luma.keepMs, inferenceMs: luma.inferenceMs, chromaMs } };
    },
    dispose: () => model.dispose(),
  };
};

/**
 * The frame upscaler of a recurrent network (rvsr): frames are one stream, upscaled one at a time in the
 * order they arrive, each reading what the previous one left (that frame, its output and the network's
 * state). Chroma is bicubic, as for every model.
 *
 * What the past is, and when it is dropped (a reset: the frame starts from no past, as training sequences do):
 * - the first frame, a frame of another size, a frame whose index does not follow the last one's (a live run
 *   sent the frames between to bicubic or dropped them; a segment starts at its keyframe with index 0), and
 *   one whose timestamp goes back or jumps by more than 2.5 frame steps (damaged frames skipped);
 * - a scene cut (scene-cut.ts): a new shot must not inherit the old one's detail.
 * `upscaleAlone` runs a frame from no past and leaves the stream's past as it was (the detail estimate's
 * shadow frames).
 *
 * Motion: a model trained with its past moved onto the current frame (its metadata's `motion`) gets the
 * previous output and the state moved by the motion between the two frames, for the whole frame or block by
 * block (global-motion.ts), before each frame; the previous frame itself stays where it was, as in training.
 *
 * Tiles: the state, the previous frame and its output are kept whole, at the frame's size. Each strip reads its
 * rows of them, with `overlap` rows of context each side (at least the network's receptive radius), and only
 * the rows a strip keeps are written back; so every kept row, and the state carried to the next frame, is
 * what the whole frame at once would have given.
 */
import { bitDepth, type Frame } from '../../pipeline/frame.js';
import type { RecurrentLumaModel, Upscaled, Upscaler } from '../../pipeline/ports.js';
import { quantize } from '../../image/resize.js';
import { allocateUpscaled, lumaPeak, pooled, stripsFor, upscaleChroma, type Strip, type Tiling } from '../espcn/upscale-frame.js';
import { blockShifts, globalShift, moveBlocks, roundHalfEven, shiftPlanes, type MotionSearch } from './global-motion.js';
import { isSceneCut } from './scene-cut.js';

/** What one frame leaves for the next, at the frame's size (Y/peak floats). */
interface Past {
  readonly index: number;
  /** Its timestamp, and the step from the frame before it (null when unknown). */
  readonly ptsMs: number | null;
  readonly stepMs: number | null;
  readonly width: number;
  readonly height: number;
  readonly y: Float32Array;
  readonly yUp: Float32Array;
  readonly state: Float32Array;
}

/** Why a frame starts from no past, or null when it carries on from the last one. */
export type ResetReason = 'start' | 'size' | 'gap' | 'time' | 'cut' | null;

/** A frame further from the last one than this many of the last step is not its successor in time. */
const TIME_JUMP = 2.5;

/**
 * `time`: the frames are consecutive by index but not in time: the timestamp went back, or jumped by more
 * than TIME_JUMP steps (damaged frames skipped with --tolerate-errors, a hole in the input).
 */
export const resetReason = (past: Past | null, frame: { readonly index: number; readonly ptsMs: number | null }, y: Float32Array, width: number, height: number): ResetReason => {
  if (!past) return 'start';
  if (past.width !== width || past.height !== height) return 'size';
  if (frame.index !== past.index + 1) return 'gap';
  if (frame.ptsMs !== null && past.ptsMs !== null) {
    const step = frame.ptsMs - past.ptsMs;
    if (step <= 0 || (past.stepMs !== null && step > TIME_JUMP * past.stepMs)) return 'time';
  }
  return isSceneCut(past.y, y, width, height) ? 'cut' : null;
};

/** Rows [from, to) of each of `channels` planes of `width × height`, packed (channel-major). */
const rowsOf = (planes: Float32Array, channels: number, width: number, height: number, from: number, to: number): Float32Array => {
  const out = new Float32Array(channels * (to - from) * width);
  for (let c = 0; c < channels; c++) out.set(planes.subarray((c * height + from) * width, (c * height + to) * width), c * (to - from) * width);
  return out;
};

/** Writes strip `part` (rows [strip.inStart, strip.inEnd) of each channel) back into `planes`, its kept rows only. */
const keepRows = (planes: Float32Array, part: Float32Array, channels: number, width: number, height: number, strip: Strip): void => {
  const rows = strip.inEnd - strip.inStart;
  const from = strip.keepStart - strip.inStart;
  const n = (strip.keepEnd - strip.keepStart) * width;
  for (let c = 0; c < channels; c++) planes.set(part.subarray((c * rows + from) * width, (c * rows + from) * width + n), (c * height + strip.keepStart) * width);
};

interface Stepped {
  readonly yUp: Float32Array;
  readonly state: Float32Array;
}

/** One frame through the network, strip by strip (see the file's comment); `past` null is a reset. */
const stepFrame = async (model: RecurrentLumaModel, tiling: Tiling, y: Float32Array, width: number, height: number, past: Past | null): Promise<Stepped> => {
  const s = model.scale;
  const c = model.stateChannels;
  const strips = stripsFor(width, height, tiling);
  const yPrev = past?.y ?? y;
  if (strips.length === 1) {
    const yUpPrev = past?.yUp ?? new Float32Array(s * s * width * height);
    return model.step({ y, yPrev, yUpPrev, state: past?.state ?? new Float32Array(c * width * height) }, width, height);
  }
  const yUp = new Float32Array(s * s * width * height);
  const state = new Float32Array(c * width * height);
  for (const strip of strips) {
    const rows = strip.inEnd - strip.inStart;
    const lr = (p: Float32Array): Float32Array => p.subarray(strip.inStart * width, strip.inEnd * width);
    const hrRow = s * s * width; // output samples per input row
    const part = await model.step(
      {
        y: lr(y),
        yPrev: lr(yPrev),
        yUpPrev: past ? past.yUp.subarray(strip.inStart * hrRow, strip.inEnd * hrRow) : new Float32Array(rows * hrRow),
        state: past ? rowsOf(past.state, c, width, height, strip.inStart, strip.inEnd) : new Float32Array(c * rows * width),
      },
      width,
      rows,
    );
    keepRows(yUp, part.yUp, 1, hrRow, height, strip);
    keepRows(state, part.state, c, width, height, strip);
  }
  return { yUp, state };
};

/**
 * The past moved onto the grid of frame `y`: its output by the motion in output pixels, its state by that in
 * input pixels. One motion for the frame moves it in place; one per block writes it into `spare` (arrays the
 * upscaler keeps for this, free again once the frame has run).
 */
const alignPast = (past: Past, y: Float32Array, scale: number, stateChannels: number, search: MotionSearch, spare: Spare): Past => {
  const { width, height } = past;
  const { block } = search;
  if (block !== undefined) {
    const d = blockShifts(past.y, y, width, height, scale, search, block);
    const [dy, dx] = [d.shifts[0] as number, d.shifts[1] as number];
    // Every block with the same shift (a still camera, a pan): the whole past moves in place.
    if (d.shifts.every((v, i) => v === (i % 2 === 0 ? dy : dx))) return movePast(past, scale, stateChannels, dy, dx);
    if (spare.yUp.length !== past.yUp.length) spare.yUp = new Float32Array(past.yUp.length);
    if (spare.state.length !== past.state.length) spare.state = new Float32Array(past.state.length);
    const yUp = moveBlocks(past.yUp, 1, scale * width, scale * height, d, scale, spare.yUp);
    const state = moveBlocks(past.state, stateChannels, width, height, { ...d, shifts: d.shifts.map((v) => roundHalfEven(v / scale)) }, 1, spare.state);
    return { ...past, yUp, state };
  }
  const [dy, dx] = globalShift(past.y, y, width, height, scale, search);
  return movePast(past, scale, stateChannels, dy, dx);
};

/** The whole past moved in place by one shift in output pixels (its state by it in input pixels). */
const movePast = (past: Past, scale: number, stateChannels: number, dy: number, dx: number): Past => {
  if (dy === 0 && dx === 0) return past;
  const { width, height } = past;
  const yUp = shiftPlanes(past.yUp, 1, scale * width, scale * height, dy, dx);
  const state = shiftPlanes(past.state, stateChannels, width, height, roundHalfEven(dy / scale), roundHalfEven(dx / scale));
  return { ...past, yUp, state };
};

/** Arrays for a past moved block by block. */
interface Spare {
  yUp: Float32Array;
  state: Float32Array;
}

/** `motion`: the search a model trained with an aligned past needs (ResolvedModel.motion), null for one without. */
export const createRecurrentUpscaler = (model: RecurrentLumaModel, tiling: Tiling, motion: MotionSearch | null = null): Upscaler => {
  const s = model.scale;
  const chromaBuffers = pooled();
  let past: Past | null = null;
  const spare: Spare = { yUp: new Float32Array(0), state: new Float32Array(0) };
  // Frames run one at a time, in the order upscale() was called, whatever the caller overlaps.
  let queue: Promise<unknown> = Promise.resolve();
  const inOrder = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => undefined);
    return run;
  };

  const upscaleOne = async (frame: Frame, alone: boolean): Promise<Upscaled> => {
    const depth = bitDepth(frame.format.pixFmt);
    const peak = lumaPeak(depth);
    const { width, height } = frame.format;
    const out = allocateUpscaled(frame, s);
    const chromaMs = upscaleChroma(frame, out, s, chromaBuffers);
    let t = performance.now();
    const plane = frame.planes[0];
    const y = new Float32Array(width * height);
    for (let i = 0; i < y.length; i++) y[i] = (plane?.data[i] as number) / peak;
    const carried = alone || resetReason(past, frame, y, width, height) !== null ? null : past;
    const from = carried && motion ? alignPast(carried, y, s, model.stateChannels, motion, spare) : carried;
    let convertMs = performance.now() - t;
    t = performance.now();
    const stepped = await stepFrame(model, tiling, y, width, height, from);
    const inferenceMs = performance.now() - t;
    t = performance.now();
    quantize(stepped.yUp, out.planes[0]?.data as Uint8Array | Uint16Array, (1 << depth) - 1, peak);
    if (!alone) {
      const stepMs = from && from.ptsMs !== null && frame.ptsMs !== null ? frame.ptsMs - from.ptsMs : null;
      past = { index: frame.index, ptsMs: frame.ptsMs, stepMs, width, height, y, yUp: stepped.yUp, state: stepped.state };
    }
    convertMs += performance.now() - t;
    return { frame: out, times: { convertMs, inferenceMs, chromaMs } };
  };

  return {
    scale: s,
    runtime: { model: model.name, backend: model.backend, workers: 1, threadsPerWorker: null },
    // One stream, one frame at a time: a second frame in flight only waits here.
    parallelism: 1,
    upscale: (frame) => inOrder(() => upscaleOne(frame, false)),
    upscaleAlone: (frame) => inOrder(() => upscaleOne(frame, true)),
    dispose: async () => {
      past = null;
      await queue; // a frame still queued would run on a released session
      await model.dispose();
    },
  };
};

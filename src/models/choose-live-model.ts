/**
 * Live runs: whether the model keeps up with the input's frame rate at its size. The loaded model's speed is
 * measured while the input opens (`measureSpeed`, on a 640×360 frame; ffmpeg probes a live input for about a
 * second first), so no frame of the stream waits for it; once the input's size and rate are known,
 * `chooseLiveModel` scales that speed to them. A model named (or the default) that falls short is kept, with
 * a warning: the others are not measured then, since that would take the cores for seconds while the input's
 * first frames arrive (they were the frames dropped at start). `--model auto` measures the cheaper single-frame
 * ones, with the input already open, and takes the best-quality one that keeps up.
 */
import { allocateFrame, type FrameFormat } from '../pipeline/frame.js';
import type { WhenBehind } from '../pipeline/operators/upscale-live.js';
import type { Upscaler } from '../pipeline/ports.js';
import { ModelError, UsageError } from '../errors.js';
import { AUTO_MODEL, MODEL_FAMILIES, OFFLINE_FAMILIES, RECURRENT_FAMILIES, trainedScales } from './registry.js';

/**
 * Batches timed, the fastest taken: a live run measures while ffmpeg starts and probes on the same cores, and one
 * batch read from 12 to 47 fps for qsr, which makes 68 ms a batch (59 fps) on an idle machine. A reading that
 * low warned that the model cannot keep up when it could (4 runs of 8), and started the latency policy too
 * cautious. Two are always timed; the third only while no real frame waits.
 */
const TIMED_BATCHES = 3;
const TIMED_AT_LEAST = 2;

/** How a measurement shares the cores: `yieldTo` says when real frames wait for the network (then it stops as early as it may). */
export interface MeasureOptions {
  readonly yieldTo?: () => boolean;
  readonly now?: () => number;
}

/** Frames per second the upscaler sustains on frames of `format`, all its workers busy: the fastest timed batch after a warm-up one. */
const measureFps = async (upscaler: Upscaler, format: FrameFormat, o: MeasureOptions = {}): Promise<number> => {
  const { yieldTo = () => false, now = () => performance.now() } = o;
  const frame = allocateFrame(0, 0, format);
  frame.bytes.fill(128);
  const batch = (): Promise<unknown> => Promise.all(Array.from({ length: 2 * upscaler.parallelism }, () => upscaler.upscale(frame)));
  await batch(); // warm-up: first calls allocate and plan
  let fastest = Infinity;
  for (let i = 0; i < TIMED_BATCHES && !(i >= TIMED_AT_LEAST && yieldTo()); i++) {
    const t0 = now();
    await batch();
    fastest = Math.min(fastest, now() - t0);
  }
  return (2 * upscaler.parallelism * 1000) / fastest;
};

/** The size the speed is measured at before the input's own is known. */
const PROBE_FORMAT: FrameFormat = { width: 640, height: 360, pixFmt: 'yuv420p' };

/** Input pixels per second the upscaler sustains (the network's work grows with the input's area). */
export interface ModelSpeed {
  readonly pixelsPerSecond: number;
}

/** Measures the loaded upscaler's speed at 640×360 while the input opens, before its frames arrive or as they do. */
export const measureSpeed = async (upscaler: Upscaler, o: MeasureOptions = {}): Promise<ModelSpeed> => ({
  pixelsPerSecond: (await measureFps(upscaler, PROBE_FORMAT, o)) * PROBE_FORMAT.width * PROBE_FORMAT.height,
});

export interface LiveModelChoice {
  readonly upscaler: Upscaler;
  /** Its speed at the input's size, frames a second (null when not measured). */
  readonly fps: number | null;
  /** Said once at start when the model cannot keep up (null when it can, or the rate is unknown). */
  readonly warning: string | null;
}

const KEEPS_UP = 1.1; // a margin over the input's rate: the encoder and the pipes share the cores too

/**
 * `loaded` is the model the run started with (loaded and measured before the decoder, which must not wait);
 * others are loaded here (by the caller's `load`) only to measure them, and disposed unless chosen.
 */
export const chooseLiveModel = async (
  o: {
    readonly scale: number;
    readonly model?: string;
    readonly modelFile?: string;
    readonly whenBehind?: WhenBehind;
    readonly load: (family: string) => Promise<Upscaler>;
  },
  loaded: Upscaler,
  speed: ModelSpeed | null,
  format: FrameFormat,
  frameRate: number | null,
): Promise<LiveModelChoice> => {
  const whatHappens = o.whenBehind === 'drop' ? 'frames beyond it are dropped' : 'frames beyond it go to bicubic';
  if (speed === null) return { upscaler: loaded, fps: null, warning: null };
  const first = speed.pixelsPerSecond / (format.width * format.height);
  if (frameRate === null || o.modelFile || first >= KEEPS_UP * frameRate) return { upscaler: loaded, fps: first, warning: null };
  const size = `${format.width}x${format.height}`;
  const at = (name: string, fps: number): string => `${name} (about ${fps.toFixed(0)} fps here)`;
  if (o.model !== AUTO_MODEL) {
    // A model named or the default: measuring the others now would take both cores for seconds while the
    // input's first frames arrive, and those frames would be the ones dropped. Only auto measures them.
    return {
      upscaler: loaded,
      fps: first,
      warning: `${at(loaded.runtime.model, first)} cannot keep up with ${size} at ${frameRate.toFixed(2)} fps: ${whatHappens}; --model auto measures the others at start and takes the best that keeps up`,
    };
  }
  // auto: the others, best quality first; the first that keeps up is taken, and when none does, the fastest
  // measured, the loaded one included (qsr, the default at x2 on a CPU, is faster than every other model),
  // with the policy covering the rest. Recurrent and offline families cost more per pixel than the
  // single-frame model that just fell short, so they are not measured (it would take the cores for seconds
  // while the input flows). A family the runtime cannot run (int8 or recurrent on TensorFlow.js) is passed over.
  const others = MODEL_FAMILIES.filter(
    (f) =>
      f !== loaded.runtime.model.replace(/-x\d$/, '') &&
      trainedScales(f).includes(o.scale) &&
      !OFFLINE_FAMILIES.includes(f) &&
      !RECURRENT_FAMILIES.includes(f),
  );
  let fastest = { upscaler: loaded, fps: first, name: loaded.runtime.model };
  for (const family of others) {
    const candidate = await o.load(family).catch((err: unknown) => {
      if (err instanceof ModelError || err instanceof UsageError) return null;
      throw err;
    });
    if (!candidate) continue;
    const fps = await measureFps(candidate, format).catch(async (err: unknown) => {
      await candidate.dispose();
      throw err;
    });
    if (fps >= KEEPS_UP * frameRate) {
      if (fastest.upscaler !== loaded) await fastest.upscaler.dispose();
      await loaded.dispose();
      return { upscaler: candidate, fps, warning: null };
    }
    if (fps > fastest.fps) {
      if (fastest.upscaler !== loaded) await fastest.upscaler.dispose(); // the loaded one goes last, if beaten
      fastest = { upscaler: candidate, fps, name: candidate.runtime.model };
    } else await candidate.dispose();
  }
  if (fastest.upscaler !== loaded) await loaded.dispose();
  return {
    upscaler: fastest.upscaler,
    fps: fastest.fps,
    warning:
      others.length === 0
        ? `no shipped model keeps up with ${size} at ${frameRate.toFixed(2)} fps on this machine (${at(loaded.runtime.model, first)}): ${whatHappens}`
        : `no shipped model keeps up with ${size} at ${frameRate.toFixed(2)} fps here; ${at(fastest.name, fastest.fps)} is the fastest: ${whatHappens}`,
  };
};

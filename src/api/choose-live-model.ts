/**
 * Live runs: whether the model keeps up with the input's frame rate at its size, from a short warm-up
 * measurement on the machine itself (a few frames through the loaded upscaler). `--model auto` takes the
 * best-quality shipped model that keeps up; a chosen model that does not is kept, with a warning that names
 * the one that would.
 */
import { allocateFrame, type FrameFormat } from '../pipeline/frame.js';
import type { Upscaler } from '../pipeline/ports.js';
import { MODEL_FAMILIES, trainedScales } from '../models/registry.js';
import { loadVideoUpscaler, resolveModel, type VideoModelChoice } from './load-model.js';

/** Frames per second the upscaler sustains on frames of `format`, all its workers busy. */
export const measureFps = async (upscaler: Upscaler, format: FrameFormat): Promise<number> => {
  const frame = allocateFrame(0, 0, format);
  frame.bytes.fill(128);
  const batch = (): Promise<unknown> => Promise.all(Array.from({ length: 2 * upscaler.parallelism }, () => upscaler.upscale(frame)));
  await batch(); // warm-up: first calls allocate and plan
  const t0 = performance.now();
  await batch();
  return (2 * upscaler.parallelism * 1000) / (performance.now() - t0);
};

export interface LiveModelChoice {
  readonly upscaler: Upscaler;
  /** Said once at start when the model cannot keep up (null when it can, or the rate is unknown). */
  readonly warning: string | null;
}

const KEEPS_UP = 1.1; // a margin over the input's rate: the encoder and the pipes share the cores too

/**
 * `loaded` is the model the run started with (loaded before the decoder, which must not wait); others are
 * loaded here only to measure them, and disposed unless chosen.
 */
export const chooseLiveModel = async (
  o: VideoModelChoice & { readonly model?: string; readonly whenBehind?: 'bicubic' | 'drop' },
  loaded: Upscaler,
  format: FrameFormat,
  frameRate: number | null,
): Promise<LiveModelChoice> => {
  if (frameRate === null || o.modelFile) return { upscaler: loaded, warning: null };
  const first = await measureFps(loaded, format);
  if (first >= KEEPS_UP * frameRate) return { upscaler: loaded, warning: null };
  const size = `${format.width}x${format.height}`;
  const at = (name: string, fps: number): string => `${name} (about ${fps.toFixed(0)} fps here)`;
  const beyond = o.whenBehind === 'drop' ? 'frames beyond it are dropped' : 'frames beyond it go to bicubic';
  // The others, best quality first, after the one already measured.
  const others = MODEL_FAMILIES.filter((f) => f !== loaded.runtime.model.replace(/-x\d$/, '') && trainedScales(f).includes(o.scale));
  for (const [i, family] of others.entries()) {
    const candidate = await loadVideoUpscaler({ ...o, model: family }, resolveModel({ ...o, model: family }));
    const fps = await measureFps(candidate, format);
    const last = i === others.length - 1;
    if (o.model === 'auto' && last && fps < KEEPS_UP * frameRate) {
      // Nothing keeps up: auto takes the fastest (the last, lightest family), bicubic covers the rest.
      await loaded.dispose();
      return {
        upscaler: candidate,
        warning: `no shipped model keeps up with ${size} at ${frameRate.toFixed(2)} fps here; ${at(family, fps)} is the fastest: ${beyond}`,
      };
    }
    if (fps >= KEEPS_UP * frameRate) {
      if (o.model === 'auto') {
        await loaded.dispose();
        return { upscaler: candidate, warning: null };
      }
      await candidate.dispose();
      return {
        upscaler: loaded,
        warning: `${at(loaded.runtime.model, first)} cannot keep up with ${size} at ${frameRate.toFixed(2)} fps: ${beyond}; --model ${family} would keep up (about ${fps.toFixed(0)} fps here)`,
      };
    }
    await candidate.dispose();
  }
  return {
    upscaler: loaded,
    warning: `no shipped model keeps up with ${size} at ${frameRate.toFixed(2)} fps on this machine (${at(loaded.runtime.model, first)}): ${o.whenBehind === 'drop' ? beyond : `${beyond} (--when-behind drop leaves them out)`}`,
  };
};

/**
 * The live-only steps of a video run, in one place: upscaleVideo calls `openSource` and `planLive` once each.
 * A live reader must never wait, so the model is loaded before its decoder starts, and its speed is measured
 * while the input opens (ffmpeg probes a live input for about a second before its first frame). A stream's
 * decoder starts at once, as the model loads: how its first frames arrive says whether it is live or a file on
 * a pipe (frames that arrive meanwhile wait in the source, not in the network). Once the input is open and
 * planned, `planLive` settles the model for what the input turned out to be, picks one that keeps up
 * (src/models/choose-live-model.ts), and sets the latency policy and the encoder's live settings.
 */
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { openFileSource, openLiveInput } from '../ingest/open-source.js';
import { createBicubicUpscaler } from '../models/bicubic-upscaler.js';
import { createHeadStart, type HeadStart } from '../models/head-start.js';
import type { LivePolicy, WhenBehind } from '../pipeline/operators/upscale-live.js';
import type { OpenedSource, Upscaler } from '../pipeline/ports.js';
import { chooseLiveModel, measureSpeed, type ModelSpeed } from '../models/choose-live-model.js';
import { loadVideoUpscaler } from './load-model.js';
import { resolveModel, type ResolvedModel } from '../models/resolve-model.js';
import type { VideoModelChoice } from '../models/load-upscaler.js';
import type { RunPlan } from './plan-run.js';
import type { RunEnds } from './run-ends.js';

/** What the live steps read of the run's (resolved) options. */
export interface LiveRequest extends VideoModelChoice {
  readonly live?: boolean;
  readonly strict: boolean;
  readonly connectTimeoutMs: number;
  readonly listen: boolean;
  readonly reconnectAttempts: number;
  readonly maxLatencyMs: number;
  readonly whenBehind: WhenBehind;
  /** Given or not: a live run's encoder takes a faster preset unless one is given. */
  readonly preset?: string;
  readonly signal?: AbortSignal;
  readonly onWarning?: (message: string) => void;
}

/** A model loaded before a live input's frames arrive, its speed being measured. */
export interface WarmModel {
  readonly upscaler: Upscaler;
  readonly speed: Promise<ModelSpeed>;
  /** The frames that arrive before the run starts, upscaled meanwhile (null for a recurrent model). */
  readonly headStart: HeadStart | null;
}

export interface OpenedRun {
  readonly source: OpenedSource;
  /** The model loaded for a run that started live; null for a file (its model loads once the run is planned). */
  readonly warm: WarmModel | null;
}

const warmUp = async (o: LiveRequest, model: ResolvedModel, headStart: HeadStart | null): Promise<WarmModel> => {
  const upscaler = await loadVideoUpscaler(o, model);
  // The head start's frames, once they come, cut the measurement short: they are the stream's, it is not.
  const speed = measureSpeed(upscaler, { yieldTo: () => (headStart?.waiting ?? 0) > 0 });
  // Awaited by planLive, once the input is open; the head start waits for it, to leave the measurement alone.
  // Only with worker threads: a network on the main thread would hold up stdin's reading, which decides the
  // pacing the head start is waiting through.
  speed.then(
    () => (upscaler.runtime.backend === 'onnxruntime-cpu' ? headStart?.start(upscaler) : headStart?.stop()),
    () => {},
  );
  return { upscaler, speed, headStart };
};

/** A live run's model, loading from the moment the request is checked (ffmpeg's checks take a third of a second). */
export interface Warming {
  readonly model: Promise<WarmModel>;
  readonly headStart: HeadStart | null;
}

/**
 * `headStart`: false when the network will not see the decoded frames themselves (`--reference self` gives it
 * their downscaled copies). A recurrent model never gets one: its state must see the run's frames in order.
 */
export const startWarming = (o: LiveRequest, model: ResolvedModel, headStart = true): Warming => {
  const head = headStart && !model.recurrent ? createHeadStart(o.scale) : null;
  const warming = warmUp(o, model, head);
  warming.catch(() => {}); // taken by openSource, once the input is open (or has failed first)
  return { model: warming, headStart: head };
};

/** Releases a warming model that no input was opened for. */
export const dropWarming = async (w: Warming | null): Promise<void> => {
  w?.headStart?.stop();
  await (await w?.model.catch(() => null))?.upscaler.dispose().catch(() => {}); // the run's own error is the one to report
};

/** Opens the input: a file, or a live input with its model (`warming`, from startWarming) loading and measured meanwhile. */
export const openSource = async (o: LiveRequest, ends: RunEnds, tools: FfmpegTools, warming: Warming | null): Promise<OpenedRun> => {
  if (!warming) return { source: await openFileSource(ends.input, tools, o), warm: null };
  const detectPacing = o.live === undefined && ends.input.stream !== null;
  const { headStart } = warming;
  if (!detectPacing) await warming.model;
  let source: OpenedSource;
  try {
    source = await openLiveInput(ends.input, tools, {
      connectTimeoutMs: o.connectTimeoutMs,
      listen: o.listen,
      reconnectAttempts: o.reconnectAttempts,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onWarning ? { onEnded: o.onWarning, onWarning: o.onWarning } : {}),
      detectPacing,
      ...(headStart ? { onEarlyFrame: headStart.offer } : {}),
    });
  } catch (err) {
    await dropWarming(warming); // the input's error is the run's
    throw err;
  }
  try {
    return { source, warm: await warming.model };
  } catch (err) {
    headStart?.stop();
    source.close();
    throw err;
  }
};

export interface LivePlan {
  /** The model the run uses, and its upscaler where this step loaded it (null: loaded once the run is planned). */
  readonly model: ResolvedModel;
  readonly upscaler: Upscaler | null;
  /** The pipeline's latency policy with its bicubic fallback; null when the source waits for the pipeline. */
  readonly pipeline: { readonly fallback: Upscaler; readonly policy: LivePolicy } | null;
  /** The encoder's live settings; null likewise. */
  readonly encoder: { readonly frameRate: number | null; readonly presetGiven: boolean } | null;
}

const livePolicy = (o: LiveRequest, plan: RunPlan, expectedFps: number | null): LivePolicy => ({
  whenBehind: o.whenBehind,
  maxLatencyMs: o.maxLatencyMs,
  // Frames decoded and not yet written: beyond a few times what is in flight, even bicubic is behind.
  maxBacklog: 4 * plan.framesInFlight,
  ...(expectedFps ? { expectedFps } : {}),
});

/**
 * The model and the latency policy for what the input turned out to be. A file on a pipe, or an input deeper
 * than the 8-bit steps of the int8 model a live run starts with, gets the file default (a live run loads it
 * now, rarely); a live input gets a model that keeps up. Owns `run.warm` from here: disposes it on failure.
 */
export const planLive = async (o: LiveRequest, run: OpenedRun, plan: RunPlan, model: ResolvedModel): Promise<LivePlan> => {
  const file = { model, upscaler: null, pipeline: null, encoder: null };
  if (!run.warm) return file;
  const { info, kind } = run.source;
  let upscaler: Upscaler | null = run.warm.upscaler;
  const { headStart } = run.warm;
  let headStarted = false; // whether the run uses the head start's results (otherwise it is stopped here)
  try {
    let speed: ModelSpeed | null = await run.warm.speed;
    // The fallback takes the start-up's burst, if any: compiled and allocated before it (after the measurement,
    // whose completions the main thread times).
    const fallback = createBicubicUpscaler(o.scale);
    if (kind === 'live') await fallback.warmUp({ width: info.width, height: info.height, pixFmt: plan.pixFmt });
    const forInput = resolveModel({ ...o, live: kind === 'live', bitDepth: info.bitDepth });
    if (forInput.path !== model.path || forInput.io8 !== model.io8) {
      headStart?.stop();
      await upscaler.dispose();
      upscaler = null;
      if (kind === 'file') return { ...file, model: forInput };
      upscaler = await loadVideoUpscaler(o, forInput);
      speed = null; // not measured again with the input open: no keep-up warning for this run
    }
    if (kind === 'file') return { ...file, upscaler };
    const choice = await chooseLiveModel(
      {
        ...o,
        load: (family) => {
          headStart?.stop(); // the other models are measured on cores the head start would share
          return loadVideoUpscaler({ ...o, model: family }, resolveModel({ ...o, model: family }));
        },
      },
      upscaler,
      speed,
      { width: info.width, height: info.height, pixFmt: plan.pixFmt },
      info.frameRate,
    );
    if (choice.warning) o.onWarning?.(choice.warning);
    const kept = choice.upscaler === run.warm.upscaler ? headStart : null;
    headStarted = kept !== null;
    const policy = livePolicy(o, plan, choice.fps);
    return {
      model: forInput,
      upscaler: choice.upscaler,
      pipeline: { fallback, policy: kept ? { ...policy, headStart: kept.take } : policy },
      encoder: { frameRate: info.frameRate, presetGiven: o.preset !== undefined },
    };
  } catch (err) {
    await upscaler?.dispose();
    throw err;
  } finally {
    if (!headStarted) headStart?.stop();
  }
};

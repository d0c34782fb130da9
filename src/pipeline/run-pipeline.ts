/**
 * The one place that composes the stages. A frame goes: source (decoder, bounded) → probe.prepare (the
 * frame the model sees) → upscaler (up to `concurrent` at once) → ensureOrder → measureFrames (quality, when
 * a probe is given) → sink (encoder) → released back to the source, which may then read another. Abort or
 * any stage's error tears everything down and removes partial output. Each frame's time per stage is
 * reported with it and averaged over the run.
 */
import { filter, map, tap, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { AbortedError } from '../errors.js';
import type { Frame } from './frame.js';
import type { FrameReport, FrameSink, FrameSource, Progress, QualityProbe, StageTimes, Upscaler } from './ports.js';
import { ensureOrder } from './operators/ensure-order.js';
import { measureFrames } from './operators/measure-frames.js';
import { upscaleFrames } from './operators/upscale-frames.js';
import { upscaleLive, type Backlog, type LiveItem, type LivePolicy } from './operators/upscale-live.js';
import { writeFrames } from './operators/write-frames.js';
import { createProgressMeter } from './progress.js';

export interface PipelineOptions {
  readonly source: FrameSource;
  readonly upscaler: Upscaler;
  readonly sink: FrameSink;
  /** Frames in the model at once. */
  readonly concurrent: number;
  /** Per-frame quality; without it no metric is computed. */
  readonly probe?: QualityProbe;
  readonly totalFrames?: number | null;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
  /** Called once per written frame, in order. */
  readonly onFrame?: (r: FrameReport) => void;
  /**
   * Live mode: the source is never paused; frames the network cannot take in time go to `fallback`
   * (bicubic) or are dropped, as the policy says, and each is counted. Without it no frame is ever dropped
   * or substituted.
   */
  readonly live?: { readonly fallback: Upscaler; readonly policy: LivePolicy };
}

export interface PipelineResult {
  readonly frames: number;
  readonly elapsedSec: number;
  readonly fps: number;
  /** Mean milliseconds per frame in each stage (they overlap; see StageTimes). */
  readonly stages: StageTimes;
  /** Live mode: frames dropped, and frames upscaled by the fallback instead of the network. */
  readonly dropped: number;
  readonly fallback: number;
}

/** The stages in pipeline order. */
export const STAGES = [
  'decodeWaitMs',
  'convertMs',
  'inferenceMs',
  'chromaMs',
  'qualityMs',
  'encodeWaitMs',
] as const satisfies readonly (keyof StageTimes)[];

/** A decoded frame on its way through: what the model was given, and when the decoder handed it over. */
interface InFlight {
  readonly source: Frame;
  readonly modelInput: Frame;
  readonly decodedAt: number;
}

/** The network on every frame; live, the latency policy decides which frames go to the fallback or are dropped. */
const upscaleStage = (o: PipelineOptions, backlog: () => Backlog): OperatorFunction<Frame, LiveItem> =>
  o.live
    ? upscaleLive(o.upscaler, o.live.fallback, o.concurrent, o.live.policy, backlog)
    : (frames) =>
        frames.pipe(
          upscaleFrames(o.upscaler, o.concurrent),
          map((u) => ({ ...u, route: 'network' as const })),
        );

/**
 * Runs the frames to the end and the encoder to its final flush, with one rejection for both; abort or an
 * error anywhere stops the decoder and removes the partial output. The probe is closed either way.
 */
const drain = async (frames$: Observable<unknown>, o: PipelineOptions): Promise<void> => {
  let subscription: Subscription | null = null;
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      subscription?.unsubscribe(); // stops the decoder
      reject(new AbortedError());
    };
  });
  aborted.catch(() => {}); // observed through Promise.race below
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted) throw new AbortedError();
    await Promise.race([
      aborted,
      new Promise<void>((resolve, reject) => {
        subscription = frames$.subscribe({ complete: resolve, error: reject });
      }),
    ]);
    await Promise.race([aborted, o.sink.finish()]);
  } catch (err) {
    await o.sink.abort();
    throw err;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await o.probe?.close();
  }
};

export const runPipeline = async (o: PipelineOptions): Promise<PipelineResult> => {
  const meter = createProgressMeter(o.totalFrames ?? null);
  let last: Progress | null = null;
  // Keyed by frame index; bounded by the source's high-water mark, since each entry leaves on release.
  const inFlight = new Map<number, InFlight>();
  const totals: Record<keyof StageTimes, number> = Object.fromEntries(STAGES.map((k) => [k, 0])) as Record<keyof StageTimes, number>;
  const entry = (output: Frame): InFlight => inFlight.get(output.index) as InFlight;
  let dropped = 0;
  let fallback = 0;
  // Live: behind while frames wait beyond those in the model; then no metrics, and no detail estimate started.
  const behind = (): boolean => o.live !== undefined && inFlight.size > o.concurrent + 1;
  const frames$ = o.source.frames().pipe(
    map((source) => {
      const modelInput = o.probe ? o.probe.prepare(source, !behind()) : source;
      inFlight.set(source.index, { source, modelInput, decodedAt: performance.now() });
      return modelInput;
    }),
    upscaleStage(o, () => {
      // The map keeps insertion order and frames leave it once written or dropped: its first is the oldest waiting.
      const oldest = inFlight.values().next().value;
      return { frames: inFlight.size, oldestMs: oldest ? performance.now() - oldest.decodedAt : 0 };
    }),
    ensureOrder((u) => u.frame.index),
    filter((u) => {
      if (u.route !== 'drop') return true;
      const job = entry(u.frame);
      inFlight.delete(u.frame.index);
      o.probe?.release?.(job.source);
      o.source.release(job.source);
      dropped++;
      return false;
    }),
    measureFrames(o.probe, entry, o.live ? behind : undefined),
    writeFrames(o.sink, (item) => item.frame),
    tap(({ frame: output, quality, times, decodeWaitMs, qualityMs, encodeWaitMs, route }) => {
      const job = entry(output);
      if (route === 'fallback') fallback++;
      const queueDepth = inFlight.size;
      inFlight.delete(output.index);
      o.source.release(job.source);
      const stages: StageTimes = { decodeWaitMs, ...times, qualityMs, encodeWaitMs };
      for (const k of STAGES) totals[k] += stages[k];
      last = meter();
      const latencyMs = performance.now() - job.decodedAt;
      o.onProgress?.(o.live ? { ...last, dropped, fallback, latencyMs } : last);
      o.onFrame?.({
        index: output.index,
        ptsMs: output.ptsMs,
        quality,
        fps: last.fps,
        latencyMs,
        queueDepth,
        dropped,
        fallback,
        times: stages,
        modelInput: job.modelInput,
        output,
      });
    }),
  );
  await drain(frames$, o);
  const p = last as Progress | null;
  const frames = p?.frames ?? 0;
  const stages = Object.fromEntries(STAGES.map((k) => [k, frames ? totals[k] / frames : 0])) as unknown as StageTimes;
  return { frames, elapsedSec: p?.elapsedSec ?? 0, fps: p?.fps ?? 0, stages, dropped, fallback };
};

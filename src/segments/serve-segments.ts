/**
 * The worker loop of `srvid worker --queue redis://…`: takes segments from the queue one at a time, upscales
 * each with the model the job asks for (loaded once per model and scale), checks its frame count and hands it
 * back with this worker's name, model, backend and speed. Runs until its signal aborts; a segment in hand when
 * it stops is left to another worker (BullMQ's stalled-job check).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JobError } from '../errors.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { countVideoPackets } from '../ffmpeg/run-tool.js';
import type { VideoModelChoice } from '../models/load-upscaler.js';
import { resolveModel, type ResolvedModel } from '../models/resolve-model.js';
import type { Upscaler } from '../pipeline/ports.js';
import { describeQueue, startSegmentWorker, workerName, type SegmentTask, type WorkerReport } from './queue.js';
import { upscaleSegment } from './upscale-segment.js';

export interface ServeSegments {
  readonly queue: string;
  readonly tools: FfmpegTools;
  /** How this machine runs a model (backend, device, threads, workers); the job says which model and scale. */
  readonly model: Omit<VideoModelChoice, 'scale' | 'model' | 'modelFile'>;
  /** Loads a video upscaler (the caller's loader: src/models' with whatever the entry point adds). */
  readonly load: (choice: VideoModelChoice, resolved: ResolvedModel) => Promise<Upscaler>;
  /** Frames in flight in each segment's pipeline. */
  readonly maxFramesInFlight: number;
  readonly signal?: AbortSignal;
  readonly onNote?: (line: string) => void;
  /** Called before each try of a segment; a throw fails that try (the fault tests inject one). */
  readonly beforeSegment?: (index: number) => void;
}

/** The upscaler for each model and scale a job asks for, loaded once; its weights must be the coordinator's. */
const modelCache = (o: ServeSegments, name: string) => {
  const loaded = new Map<string, Upscaler>();
  const upscalerFor = async (t: SegmentTask): Promise<Upscaler> => {
    const key = `${t.settings.model}|${t.settings.modelFile ?? ''}|${t.settings.scale}`;
    const have = loaded.get(key);
    if (have) return have;
    const choice = {
      ...o.model,
      scale: t.settings.scale,
      model: t.settings.model,
      ...(t.settings.modelFile ? { modelFile: t.settings.modelFile } : {}),
    };
    const resolved = resolveModel(choice);
    if (createHash('sha256').update(readFileSync(resolved.path)).digest('hex') !== t.settings.modelSha256) {
      throw new JobError(`${resolved.name} on ${name} holds other weights than the coordinator's: run the same srvid version everywhere`);
    }
    const u = await o.load(choice, resolved);
    loaded.set(key, u);
    return u;
  };
  const dispose = async (): Promise<void> => {
    for (const u of loaded.values()) await u.dispose().catch(() => {});
  };
  return { upscalerFor, dispose };
};

type Work = (t: SegmentTask, progress: (r: WorkerReport) => void) => Promise<WorkerReport>;

/** One segment taken from the queue: upscaled, its frames counted, this worker's report handed back. */
const segmentWork = (o: ServeSegments, name: string, upscalerFor: (t: SegmentTask) => Promise<Upscaler>, done: () => void): Work => {
  return async (t, progress) => {
    o.beforeSegment?.(t.index);
    const upscaler = await upscalerFor(t);
    const report = (frames: number, fps: number): WorkerReport => ({
      worker: name,
      model: upscaler.runtime.model,
      backend: upscaler.runtime.backend,
      frames,
      fps,
    });
    o.onNote?.(`segment ${t.index}: ${t.frames} frames`);
    progress(report(0, 0));
    let last = 0;
    const r = await upscaleSegment({
      tools: o.tools,
      upscaler,
      settings: t.settings,
      source: t.source,
      output: t.output,
      frames: t.frames,
      maxFramesInFlight: o.maxFramesInFlight,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (p) => {
        if (performance.now() - last < 500) return;
        last = performance.now();
        progress(report(p.frames, p.fps));
      },
    });
    const counted = await countVideoPackets(o.tools.ffprobe, t.output);
    if (counted !== t.frames) throw new JobError(`segment ${t.index}: wrote ${counted} frames, not ${t.frames}`);
    done();
    o.onNote?.(`segment ${t.index}: done, ${r.fps.toFixed(1)} fps`);
    return report(r.frames, r.fps);
  };
};

const untilAborted = (signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });

/** Serves the queue until `signal` aborts; the count of segments this worker finished. */
export const serveSegments = async (o: ServeSegments): Promise<{ segments: number }> => {
  const name = workerName();
  const models = modelCache(o, name);
  let segments = 0;
  const work = segmentWork(o, name, models.upscalerFor, () => segments++);
  const worker = await startSegmentWorker(o.queue, work, (err) => o.onNote?.(`queue: ${err.message}`));
  o.onNote?.(`worker ${name} waiting for segments at ${describeQueue(o.queue)}`);
  try {
    await untilAborted(o.signal);
  } finally {
    // Stopped: the segment in hand is not finished here; its lock lapses and another worker takes it.
    await worker.close(true).catch(() => {});
    await models.dispose();
  }
  return { segments };
};

/**
 * `srvid worker --queue redis://…`: takes segments from the queue one at a time, upscales each with the
 * model the job asks for (loaded once per model and scale, on this machine's best backend), checks its frame
 * count and hands it back with this worker's name, model, backend and speed. Runs until its signal aborts;
 * a segment in hand when it stops is left to another worker (BullMQ's stalled-job check).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JobError } from '../errors.js';
import { resolveFfmpeg } from '../ffmpeg/resolve-ffmpeg.js';
import { countVideoPackets } from '../ffmpeg/run-tool.js';
import { describeQueue, parseQueueUrl, startSegmentWorker, workerName, type SegmentTask, type WorkerReport } from '../jobs/queue.js';
import type { Upscaler } from '../pipeline/ports.js';
import { loadVideoUpscaler, resolveModel, type VideoModelChoice } from './load-model.js';
import { upscaleSegment } from './upscale-segment.js';

export interface RunWorkerOptions extends Omit<VideoModelChoice, 'scale' | 'model' | 'modelFile'> {
  readonly queue: string;
  readonly ffmpeg?: string;
  readonly ffprobe?: string;
  readonly signal?: AbortSignal;
  /** A line per segment taken and finished, and when the worker is ready. */
  readonly onNote?: (line: string) => void;
}

/**
 * Serves the queue until `signal` aborts.
 *
 * @example
 * const ac = new AbortController();
 * await runWorker({ queue: 'redis://10.0.0.5:6379', signal: ac.signal, onNote: console.error });
 */
export const runWorker = async (o: RunWorkerOptions): Promise<{ segments: number }> => {
  parseQueueUrl(o.queue);
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });
  const name = workerName();
  const loaded = new Map<string, Upscaler>();
  let segments = 0;
  const upscalerFor = async (t: SegmentTask): Promise<Upscaler> => {
    const key = `${t.settings.model}|${t.settings.modelFile ?? ''}|${t.settings.scale}`;
    const have = loaded.get(key);
    if (have) return have;
    const choice = {
      ...o,
      scale: t.settings.scale,
      model: t.settings.model,
      ...(t.settings.modelFile ? { modelFile: t.settings.modelFile } : {}),
    };
    const resolved = resolveModel(choice);
    if (createHash('sha256').update(readFileSync(resolved.path)).digest('hex') !== t.settings.modelSha256) {
      throw new JobError(`${resolved.name} on ${name} holds other weights than the coordinator's: run the same srvid version everywhere`);
    }
    const u = await loadVideoUpscaler(choice, resolved);
    loaded.set(key, u);
    return u;
  };
  const failHook = process.env.SRVID_TEST_FAIL_SEGMENTS; // tests: every try of every segment fails
  const work = async (t: SegmentTask, progress: (r: WorkerReport) => void): Promise<WorkerReport> => {
    if (failHook) throw new JobError(`segment ${t.index}: failing on purpose (SRVID_TEST_FAIL_SEGMENTS)`);
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
      tools,
      upscaler,
      settings: t.settings,
      source: t.source,
      output: t.output,
      frames: t.frames,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (p) => {
        if (performance.now() - last < 500) return;
        last = performance.now();
        progress(report(p.frames, p.fps));
      },
    });
    const counted = await countVideoPackets(tools.ffprobe, t.output);
    if (counted !== t.frames) throw new JobError(`segment ${t.index}: wrote ${counted} frames, not ${t.frames}`);
    segments++;
    o.onNote?.(`segment ${t.index}: done, ${r.fps.toFixed(1)} fps`);
    return report(r.frames, r.fps);
  };
  const worker = await startSegmentWorker(o.queue, work, (err) => o.onNote?.(`queue: ${err.message}`));
  o.onNote?.(`worker ${name} waiting for segments at ${describeQueue(o.queue)}`);
  try {
    await new Promise<void>((resolve) => {
      if (o.signal?.aborted) return resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    // Stopped: the segment in hand is not finished here; its lock lapses and another worker takes it.
    await worker.close(true).catch(() => {});
    for (const u of loaded.values()) await u.dispose().catch(() => {});
  }
  return { segments };
};

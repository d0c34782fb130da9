/**
 * Upscaling the segments a journal says are not done: here, one after another with one model loaded once, or
 * through the BullMQ queue, where `srvid worker` processes take them and the coordinator records each one
 * only once it has counted its frames itself.
 */
import { join } from 'node:path';
import { AbortedError, JobError } from '../errors.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import type { Journal, JournalSegment } from '../jobs/journal.js';
import {
  ATTEMPTS,
  describeQueue,
  workerName,
  type SegmentQueue,
  type SegmentRetries,
  type SegmentSettings,
  type SegmentTask,
  type WorkerReport,
} from '../jobs/queue.js';
import type { Progress, Upscaler, UpscalerRuntime } from '../pipeline/ports.js';
import { loadVideoUpscaler, type VideoModelChoice } from './load-model.js';
import { verifySegment } from './prepare-segments.js';
import type { SegmentBoard } from './segment-board.js';
import { upscaleSegment } from './upscale-segment.js';

export interface SegmentStatus {
  readonly segments: number;
  /** Segments (and their frames) already done and verified when this run started. */
  readonly done: number;
  readonly framesDone: number;
  readonly totalFrames: number;
}

interface RunSegments {
  readonly dir: string;
  readonly journal: Journal;
  readonly status: SegmentStatus;
  readonly settings: SegmentSettings;
  readonly tools: FfmpegTools;
  /** Marks a verified segment done in the journal (written atomically). */
  readonly record: (index: number) => void;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
  /** The dashboard's view of the workers (with `--monitor`), and what to call after each change to it. */
  readonly board?: SegmentBoard;
  readonly onBoard?: () => void;
}

const pending = (j: Journal): JournalSegment[] => (j.segments ?? []).filter((s) => !s.done);

/** A progress line over the whole job: frames done before this run count, the rate is this run's own. */
const meter = (status: SegmentStatus, onProgress?: (p: Progress) => void) => {
  const started = performance.now();
  return (framesNow: number): void => {
    const elapsedSec = (performance.now() - started) / 1000;
    const fps = elapsedSec > 0 ? framesNow / elapsedSec : 0;
    const frames = status.framesDone + framesNow;
    onProgress?.({
      frames,
      totalFrames: status.totalFrames,
      fps,
      elapsedSec,
      etaSec: fps > 0 ? (status.totalFrames - frames) / fps : null,
    });
  };
};

const checkCount = async (r: RunSegments, s: JournalSegment): Promise<void> => {
  if (!(await verifySegment(r.dir, s, r.tools.ffprobe))) {
    throw new JobError(
      `segment ${s.index} (${join(r.dir, s.output)}) does not hold its ${s.frames} frames after upscaling; rerun to redo it`,
    );
  }
};

/** The model for the segments left, loaded once; null when none is left. */
export const loadForSegments = async (j: Journal, model: VideoModelChoice): Promise<Upscaler | null> =>
  pending(j).length === 0 ? null : loadVideoUpscaler(model);

export const runSegmentsHere = async (
  r: RunSegments & { readonly upscaler: Upscaler | null },
): Promise<{ runtime: UpscalerRuntime | null }> => {
  const todo = pending(r.journal);
  const upscaler = r.upscaler;
  if (todo.length === 0 || !upscaler) return { runtime: null };
  const progress = meter(r.status, r.onProgress);
  let framesBefore = 0;
  // This process is the one worker; the dashboard shows it as `srvid worker` processes are shown.
  const me = (frames: number, fps: number): WorkerReport => ({
    worker: workerName(),
    model: upscaler.runtime.model,
    backend: upscaler.runtime.backend,
    frames,
    fps,
  });
  // The caller owns the upscaler and disposes of it.
  for (const s of todo) {
    r.board?.working(me(0, 0), s.index);
    r.onBoard?.();
    const done = await upscaleSegment({
      tools: r.tools,
      upscaler,
      settings: r.settings,
      source: join(r.dir, s.source),
      output: join(r.dir, s.output),
      frames: s.frames,
      ...(r.signal ? { signal: r.signal } : {}),
      onProgress: (p) => {
        progress(framesBefore + p.frames);
        r.board?.working(me(p.frames, p.fps), s.index);
        r.onBoard?.();
      },
    });
    await checkCount(r, s);
    r.record(s.index);
    // Published with the next segment taken (or at the end): never a moment with none in hand between two.
    r.board?.finished(me(s.frames, done.fps), s.index, s.frames);
    framesBefore += s.frames;
    progress(framesBefore);
  }
  return { runtime: upscaler.runtime };
};

const POLL_MS = 300;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Queues every pending segment and waits for the workers, recording each finished one. A segment that failed
 * on every try ends the job with its reason; a coordinator stopped or killed here leaves the queue as it is,
 * and the same command picks it up again.
 */
export const runSegmentsOnQueue = async (
  r: RunSegments & { readonly queue: SegmentQueue; readonly url: string; readonly key: string; readonly onNote?: (line: string) => void },
): Promise<{ runtime: UpscalerRuntime | null }> => {
  let todo = pending(r.journal);
  if (todo.length === 0) return { runtime: null };
  const queue = r.queue;
  const task = (s: JournalSegment): SegmentTask => ({
    job: r.key,
    index: s.index,
    source: join(r.dir, s.source),
    output: join(r.dir, s.output),
    frames: s.frames,
    settings: r.settings,
  });
  const workers = new Map<string, WorkerReport>();
  const seen = (w: WorkerReport | null): void => {
    if (!w?.worker) return;
    if (!workers.has(w.worker)) r.onNote?.(`worker ${w.worker}: ${w.model} on ${w.backend}`);
    workers.set(w.worker, w);
  };
  const progress = meter(r.status, r.onProgress);
  let framesDone = 0;
  // Who was last seen with each segment, and its earlier tries: a lost worker and a retry get one line each.
  const holder = new Map<number, string>();
  const tries = new Map<number, SegmentRetries>();
  // The worker a segment was taken back from: its last progress report stays on the job until another's comes.
  const lost = new Map<number, string>();
  const retried = (index: number, now: SegmentRetries | undefined): void => {
    if (!now) return;
    const before = tries.get(index) ?? { stalled: 0, failed: 0, reason: null };
    tries.set(index, now);
    const who = holder.has(index) ? `worker ${holder.get(index)}` : 'a worker';
    if (now.stalled > before.stalled) {
      r.onNote?.(`segment ${index}: ${who} stopped answering; the segment is back on the queue for another worker`);
      lost.set(index, holder.get(index) ?? '');
      holder.delete(index);
    }
    if (now.failed > before.failed)
      r.onNote?.(
        `segment ${index}: try ${now.failed} of ${ATTEMPTS} failed on ${who} (${now.reason ?? 'no reason given'}); it is tried again`,
      );
  };
  for (const s of todo) await queue.submit(task(s));
  r.onNote?.(`${todo.length} segments on the queue at ${describeQueue(r.url)}; waiting for srvid worker processes`);
  let polls = 0;
  while (todo.length > 0) {
    if (r.signal?.aborted)
      throw new AbortedError(
        'stopped; the segments stay on the queue and the journal keeps what is done: rerun the same command to carry on',
      );
    let inHand = 0;
    const holders = new Map<number, string>();
    const left: JournalSegment[] = [];
    // Every tenth poll looks for segments that vanished from the queue (removed by hand, Redis restarted empty).
    const all = polls++ % 10 === 9;
    const states = await queue.states(r.key, all);
    for (const s of todo) {
      const st = states.get(s.index) ?? (all ? { kind: 'missing' as const } : { kind: 'waiting' as const });
      if (st.kind === 'completed') {
        seen(st.result);
        if (await verifySegment(r.dir, s, r.tools.ffprobe)) {
          r.record(s.index);
          const w = st.result;
          r.board?.finished(w, s.index, s.frames);
          r.onNote?.(`segment ${s.index} done by ${w.worker} (${w.model} on ${w.backend}, ${w.fps.toFixed(1)} fps)`);
          framesDone += s.frames;
          await queue.remove(task(s));
          continue;
        }
        r.onNote?.(
          `segment ${s.index}: a worker reported it done, but ${s.output} does not hold its ${s.frames} frames here; queued again`,
        );
        await queue.remove(task(s));
        await queue.submit(task(s));
      } else if (st.kind === 'failed') {
        throw new JobError(`segment ${s.index} failed on every try (${Math.max(st.attempts, ATTEMPTS)} in all): ${st.reason}`);
      } else if (st.kind === 'missing') {
        await queue.submit(task(s)); // removed by hand, or Redis restarted without its data
      } else if (st.kind === 'waiting') {
        retried(s.index, st.retries);
      } else if (st.kind === 'active') {
        retried(s.index, st.retries);
        if (st.progress && st.progress.worker !== lost.get(s.index)) {
          seen(st.progress);
          inHand += st.progress.frames;
          holders.set(s.index, st.progress.worker);
          holder.set(s.index, st.progress.worker);
          r.board?.working(st.progress, s.index);
        }
      }
      left.push(s);
    }
    todo = left;
    r.board?.inHand(holders);
    r.onBoard?.();
    progress(framesDone + inHand);
    if (todo.length > 0) await sleep(POLL_MS, r.signal);
  }
  const first = workers.values().next().value as WorkerReport | undefined;
  return {
    runtime: { model: first?.model ?? '', backend: `queue (${workers.size} workers)`, workers: workers.size, threadsPerWorker: null },
  };
};

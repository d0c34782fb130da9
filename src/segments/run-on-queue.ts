/**
 * Upscaling the segments a journal says are not done through the BullMQ queue: `srvid worker` processes take
 * them, and the coordinator polls their states, recording each one only once it has counted its frames itself.
 */
import { join } from 'node:path';
import { AbortedError, JobError } from '../errors.js';
import type { UpscalerRuntime } from '../pipeline/ports.js';
import type { JournalSegment } from './journal.js';
import { verifySegment } from './prepare-segments.js';
import {
  ATTEMPTS,
  describeQueue,
  type SegmentQueue,
  type SegmentRetries,
  type SegmentState,
  type SegmentTask,
  type WorkerReport,
} from './queue.js';
import { meter, pendingSegments, type RunSegments } from './run-segments.js';

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

type QueueRun = RunSegments & {
  readonly queue: SegmentQueue;
  readonly url: string;
  readonly key: string;
  readonly onNote?: (line: string) => void;
};

/**
 * What the coordinator has heard of the workers: each worker's latest report, who was last seen with each
 * segment and its earlier tries, so that a lost worker and a retry get one line each.
 */
const createWatch = (onNote?: (line: string) => void) => {
  const workers = new Map<string, WorkerReport>();
  const holder = new Map<number, string>();
  const tries = new Map<number, SegmentRetries>();
  // The worker a segment was taken back from: its last progress report stays on the job until another's comes.
  const lost = new Map<number, string>();
  return {
    workers,
    seen: (w: WorkerReport | null): void => {
      if (!w?.worker) return;
      if (!workers.has(w.worker)) onNote?.(`worker ${w.worker}: ${w.model} on ${w.backend}`);
      workers.set(w.worker, w);
    },
    retried: (index: number, now: SegmentRetries | undefined): void => {
      if (!now) return;
      const before = tries.get(index) ?? { stalled: 0, failed: 0, reason: null };
      tries.set(index, now);
      const who = holder.has(index) ? `worker ${holder.get(index)}` : 'a worker';
      if (now.stalled > before.stalled) {
        onNote?.(`segment ${index}: ${who} stopped answering; the segment is back on the queue for another worker`);
        lost.set(index, holder.get(index) ?? '');
        holder.delete(index);
      }
      if (now.failed > before.failed)
        onNote?.(
          `segment ${index}: try ${now.failed} of ${ATTEMPTS} failed on ${who} (${now.reason ?? 'no reason given'}); it is tried again`,
        );
    },
    /** A worker's progress on a segment: its holder now, unless the segment was taken back from it. */
    holds: (index: number, w: WorkerReport | null): w is WorkerReport => {
      if (!w || w.worker === lost.get(index)) return false;
      holder.set(index, w.worker);
      return true;
    },
  };
};

type Watch = ReturnType<typeof createWatch>;

/** One poll's tally: frames in the segments in hand, and who holds each. */
interface Poll {
  inHand: number;
  readonly holders: Map<number, string>;
}

/**
 * Acts on one pending segment's state: a completed one is counted here and recorded (true: done), a failed one
 * ends the job, a missing one is queued again; the rest are noted and waited for.
 */
const visit = async (r: QueueRun, watch: Watch, poll: Poll, s: JournalSegment, st: SegmentState, task: SegmentTask): Promise<boolean> => {
  if (st.kind === 'completed') {
    watch.seen(st.result);
    if (await verifySegment(r.dir, s, r.tools.ffprobe)) {
      r.record(s.index);
      const w = st.result;
      r.board?.finished(w, s.index, s.frames);
      r.onNote?.(`segment ${s.index} done by ${w.worker} (${w.model} on ${w.backend}, ${w.fps.toFixed(1)} fps)`);
      await r.queue.remove(task);
      return true;
    }
    r.onNote?.(`segment ${s.index}: a worker reported it done, but ${s.output} does not hold its ${s.frames} frames here; queued again`);
    await r.queue.remove(task);
    await r.queue.submit(task);
  } else if (st.kind === 'failed') {
    throw new JobError(`segment ${s.index} failed on every try (${Math.max(st.attempts, ATTEMPTS)} in all): ${st.reason}`);
  } else if (st.kind === 'missing') {
    await r.queue.submit(task); // removed by hand, or Redis restarted without its data
  } else if (st.kind === 'waiting') {
    watch.retried(s.index, st.retries);
  } else if (st.kind === 'active') {
    watch.retried(s.index, st.retries);
    if (watch.holds(s.index, st.progress)) {
      watch.seen(st.progress);
      poll.inHand += st.progress.frames;
      poll.holders.set(s.index, st.progress.worker);
      r.board?.working(st.progress, s.index);
    }
  }
  return false;
};

/**
 * Queues every pending segment and waits for the workers, recording each finished one. A segment that failed
 * on every try ends the job with its reason; a coordinator stopped or killed here leaves the queue as it is,
 * and the same command picks it up again.
 */
export const runSegmentsOnQueue = async (r: QueueRun): Promise<{ runtime: UpscalerRuntime | null }> => {
  let todo = pendingSegments(r.journal);
  if (todo.length === 0) return { runtime: null };
  const task = (s: JournalSegment): SegmentTask => ({
    job: r.key,
    index: s.index,
    source: join(r.dir, s.source),
    output: join(r.dir, s.output),
    frames: s.frames,
    settings: r.settings,
  });
  const watch = createWatch(r.onNote);
  const progress = meter(r.status, r.onProgress);
  let framesDone = 0;
  for (const s of todo) await r.queue.submit(task(s));
  r.onNote?.(`${todo.length} segments on the queue at ${describeQueue(r.url)}; waiting for srvid worker processes`);
  for (let polls = 0; todo.length > 0; polls++) {
    if (r.signal?.aborted)
      throw new AbortedError(
        'stopped; the segments stay on the queue and the journal keeps what is done: rerun the same command to carry on',
      );
    const poll: Poll = { inHand: 0, holders: new Map() };
    // Every tenth poll looks for segments that vanished from the queue (removed by hand, Redis restarted empty).
    const all = polls % 10 === 9;
    const states = await r.queue.states(r.key, all);
    const left: JournalSegment[] = [];
    for (const s of todo) {
      const st = states.get(s.index) ?? (all ? { kind: 'missing' as const } : { kind: 'waiting' as const });
      if (await visit(r, watch, poll, s, st, task(s))) framesDone += s.frames;
      else left.push(s);
    }
    todo = left;
    r.board?.inHand(poll.holders);
    r.onBoard?.();
    progress(framesDone + poll.inHand);
    if (todo.length > 0) await sleep(POLL_MS, r.signal);
  }
  const first = watch.workers.values().next().value as WorkerReport | undefined;
  const n = watch.workers.size;
  return { runtime: { model: first?.model ?? '', backend: `queue (${n} workers)`, workers: n, threadsPerWorker: null } };
};

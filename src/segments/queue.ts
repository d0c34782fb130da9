/**
 * The segment queue: BullMQ on Redis. The coordinator puts one BullMQ job per segment on the queue and polls
 * their states; any number of `srvid worker` processes take them. A worker that dies mid-segment stops
 * renewing its lock, BullMQ's stalled-job check moves the segment back to the queue and another worker
 * takes it; a segment that fails `ATTEMPTS` times ends the job with its last error. Job ids are the job's key
 * and the segment number, so a restarted coordinator finds the segments it queued before.
 */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
// bullmq (and ioredis) are loaded when a queue is used: the import costs ~0.2 s of every run's start.
import type { ConnectionOptions, Job, JobType } from 'bullmq';
import { JobError, UsageError } from '../errors.js';
import type { ColorTags } from '../pipeline/ports.js';

export const QUEUE_NAME = 'srvid-segments';
/** Tries per segment: the first and two retries (a worker's crash counts as a try once its lock expires). */
export const ATTEMPTS = 3;
/** A worker renews its lock every half of this; a dead worker's segment is free again after it. */
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 5_000;
/** How long a worker or coordinator waits for the queue's first answer. */
const READY_MS = 5_000;

/** What a worker needs to upscale one segment exactly as the coordinator would. */
export interface SegmentSettings {
  readonly scale: number;
  /** The model family the coordinator resolved, or a model file's path (which every worker must reach). */
  readonly model: string;
  readonly modelFile?: string;
  /** SHA-256 of the weights: a worker with other weights (another srvid version) refuses the segment. */
  readonly modelSha256: string;
  readonly codec: string;
  readonly crf: number;
  readonly preset: string;
  readonly pixFmt: string;
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly fullRange: boolean;
  readonly color: ColorTags;
}

export interface SegmentTask {
  /** The job's key (a hash of the input and options): segments of different jobs never mix. */
  readonly job: string;
  readonly index: number;
  /** Absolute paths every worker can reach (the work folder on shared storage). */
  readonly source: string;
  readonly output: string;
  readonly frames: number;
  readonly settings: SegmentSettings;
}

/** What a worker says about itself and a segment, as progress and as its result. */
export interface WorkerReport {
  readonly worker: string;
  readonly model: string;
  readonly backend: string;
  readonly frames: number;
  readonly fps: number;
}

/** A segment's earlier tries: taken back from a worker that stopped answering, or failed (and tried again). */
export interface SegmentRetries {
  readonly stalled: number;
  readonly failed: number;
  /** The last failed try's error. */
  readonly reason: string | null;
}

export type SegmentState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'waiting'; readonly retries?: SegmentRetries }
  | { readonly kind: 'active'; readonly progress: WorkerReport | null; readonly retries: SegmentRetries }
  | { readonly kind: 'completed'; readonly result: WorkerReport }
  | { readonly kind: 'failed'; readonly reason: string; readonly attempts: number };

/** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS) → ioredis options, as BullMQ takes them. */
export const parseQueueUrl = (url: string): ConnectionOptions & { host: string; port: number } => {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue takes redis://HOST:PORT or rediss://HOST:PORT, not "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError(`--queue takes redis://HOST:PORT or rediss://HOST:PORT (TLS), not "${url}"`);
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new UsageError(`--queue: "${db}" is not a Redis database number`);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    // TLS checks the certificate against the host name, or its IP address (SNI carries names only).
    ...(u.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
    // BullMQ's workers block on Redis; ioredis must retry for them rather than give up after 20 tries.
    maxRetriesPerRequest: null,
  };
};

/** The queue's address without its password, for messages. */
export const describeQueue = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

const jobId = (task: Pick<SegmentTask, 'job' | 'index'>): string => `${task.job}-${task.index}`;

export interface SegmentQueue {
  /** Queues a segment unless it is there already; a failed one is tried again (a restarted coordinator). */
  readonly submit: (task: SegmentTask) => Promise<void>;
  /**
   * The states of one job's segments that have news: completed, failed, active or delayed (a failed try
   * waiting to be retried), each a few calls however many segments wait. With `all`, waiting ones too; a
   * segment in none of them is missing.
   */
  readonly states: (job: string, all: boolean) => Promise<Map<number, SegmentState>>;
  /** Removes a segment's BullMQ job once its result is recorded (or to queue it afresh). */
  readonly remove: (task: Pick<SegmentTask, 'job' | 'index'>) => Promise<void>;
  readonly close: () => Promise<void>;
}

const unreachable = (url: string, err: unknown): JobError => {
  const why = (err as Error).message;
  // A TLS server whose certificate this machine does not trust (a private CA) is running, but refused.
  const hint = /certificate|CERT_|self.signed/i.test(why)
    ? "the server's certificate is not trusted here: give its CA's certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem"
    : 'is redis-server running there?';
  return new JobError(`cannot reach the queue at ${describeQueue(url)}: ${why}; ${hint}`);
};

/** Opens the queue; rejects with a clear message when Redis does not answer within a few seconds. */
export const openSegmentQueue = async (url: string): Promise<SegmentQueue> => {
  const { Queue } = await import('bullmq');
  const queue = new Queue<SegmentTask, WorkerReport>(QUEUE_NAME, {
    connection: { ...parseQueueUrl(url), maxRetriesPerRequest: 1, retryStrategy: () => null },
  });
  queue.on('error', () => {}); // reported through the failing call instead
  try {
    await Promise.race([
      queue.waitUntilReady(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${READY_MS / 1000} s`)), READY_MS).unref()),
    ]);
  } catch (err) {
    await queue.close().catch(() => {});
    throw unreachable(url, err);
  }
  const get = async (t: Pick<SegmentTask, 'job' | 'index'>): Promise<Job<SegmentTask, WorkerReport> | undefined> => queue.getJob(jobId(t));
  return {
    submit: async (task) => {
      const job = await get(task);
      if (job && (await job.getState()) === 'failed') await job.retry('failed');
      if (job) return;
      await queue.add(`segment ${task.index}`, task, {
        jobId: jobId(task),
        attempts: ATTEMPTS,
        backoff: { type: 'fixed', delay: 500 },
        removeOnComplete: false,
        removeOnFail: false,
      });
    },
    states: async (key, all) => {
      const found = new Map<number, SegmentState>();
      const prefix = `${key}-`;
      const kinds: JobType[] = [
        'completed',
        'failed',
        'active',
        'delayed', // a failed try waiting out its backoff: seen each time, so that every retry is told
        ...(all ? (['waiting', 'prioritized', 'paused'] as JobType[]) : []),
      ];
      for (const kind of kinds) {
        for (const job of await queue.getJobs(kind)) {
          if (!job?.id?.startsWith(prefix)) continue;
          const index = Number(job.id.slice(prefix.length));
          // A stalled job (its worker's lock expired) went back to the queue; a failed try is retried.
          const retries = { stalled: job.stalledCounter ?? 0, failed: job.attemptsMade, reason: job.failedReason || null };
          const state: SegmentState =
            kind === 'completed'
              ? { kind: 'completed', result: job.returnvalue as WorkerReport }
              : kind === 'failed'
                ? { kind: 'failed', reason: job.failedReason ?? 'unknown error', attempts: job.attemptsMade }
                : kind === 'active'
                  ? {
                      kind: 'active',
                      progress: typeof job.progress === 'object' ? (job.progress as unknown as WorkerReport) : null,
                      retries,
                    }
                  : { kind: 'waiting', retries };
          found.set(index, state);
        }
      }
      return found;
    },
    remove: async (t) => {
      await queue.remove(jobId(t)).catch(() => 0);
    },
    close: () => queue.close(),
  };
};

/** Who a worker is, in reports: host and process. */
export const workerName = (): string => `${hostname()}:${process.pid}`;

export interface SegmentWorker {
  /** Stops taking segments; the one in hand is finished (or, with `force`, left to another worker). */
  readonly close: (force?: boolean) => Promise<void>;
}

/**
 * Takes segments one at a time and hands each to `process`, which reports progress along the way and
 * returns its result; a rejection is a failed try, retried by BullMQ up to ATTEMPTS in all.
 */
export const startSegmentWorker = async (
  url: string,
  process: (task: SegmentTask, progress: (r: WorkerReport) => void) => Promise<WorkerReport>,
  onError: (err: Error) => void,
): Promise<SegmentWorker> => {
  const { Worker } = await import('bullmq');
  const worker = new Worker<SegmentTask, WorkerReport>(
    QUEUE_NAME,
    async (job) => process(job.data, (r) => void job.updateProgress(r as unknown as object).catch(() => {})),
    {
      connection: parseQueueUrl(url),
      concurrency: 1,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: ATTEMPTS - 1,
    },
  );
  // Until the queue has answered once, its errors say why it cannot be reached; later ones (Redis restarting)
  // are reported once each while the connection retries.
  let lastError: string | null = null;
  let firstError: Error | null = null;
  worker.on('error', (err) => {
    firstError ??= err;
    if (!ready || err.message === lastError) return;
    lastError = err.message;
    onError(err);
  });
  let ready = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      worker.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(firstError ?? new Error(`no answer within ${READY_MS / 1000} s`)), READY_MS);
      }),
    ]);
    ready = true;
  } catch (err) {
    // Closing a connection that never opened would wait for its retries: disconnect it instead.
    void worker.close(true).catch(() => {});
    throw unreachable(url, err);
  } finally {
    clearTimeout(timer);
  }
  return { close: (force = false) => worker.close(force) };
};

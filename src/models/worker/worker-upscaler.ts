/**
 * An Upscaler that runs the whole per-frame job in worker threads, one onnxruntime session each. On the main
 * thread onnxruntime-node's `run` blocks (it computes in the caller's thread), so decoding, encoding and the
 * metrics would wait for every inference; with workers they overlap, and two one-thread sessions on two cores
 * also beat one two-thread session (bench: `npm run bench`).
 */
import { Worker } from 'node:worker_threads';
import { ModelError } from '../../errors.js';
import { makeFrame, type Frame } from '../../pipeline/frame.js';
import type { Upscaled, Upscaler } from '../../pipeline/ports.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';

export interface WorkerUpscalerOptions extends Omit<WorkerConfig, 'threads'> {
  readonly workers: number;
  /** onnxruntime threads per worker. */
  readonly threadsPerWorker: number;
}

/** How long a worker may take to finish its current frame once asked to stop. */
const CLOSE_TIMEOUT_MS = 30_000;

interface Job {
  readonly frame: Frame;
  readonly resolve: (u: Upscaled) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
  /** Set once the thread has ended (closed, or died: an uncaught error, process.exit in the worker). */
  exited: boolean;
}

/**
 * Built, the worker is upscale-worker.js beside this file. Under tsx (tests, bench) both are .ts, and Node 20
 * does not carry loader hooks into workers, so the worker first registers tsx itself.
 */
const spawnWorker = (workerData: WorkerConfig): Worker => {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./upscale-worker.js', import.meta.url), { workerData });
  const entry = new URL('./upscale-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData });
};

const startWorker = (config: WorkerConfig): Promise<{ worker: Worker; backend: string }> =>
  new Promise((resolve, reject) => {
    const worker = spawnWorker(config);
    const fail = (why: string): void => {
      void worker.terminate();
      reject(new ModelError(`cannot start an upscale worker for ${config.path}: ${why}`));
    };
    worker.once('error', (err) => fail(err.message));
    worker.once('exit', (code) => fail(`it exited with code ${code}`));
    worker.once('message', (m: FromWorker) => {
      worker.removeAllListeners('error').removeAllListeners('exit');
      if (m.kind === 'ready') resolve({ worker, backend: m.backend });
      else fail(m.kind === 'broken' ? m.message : `unexpected message ${m.kind}`);
    });
  });

export const createWorkerUpscaler = async (o: WorkerUpscalerOptions): Promise<Upscaler> => {
  // Frames go to the least busy worker: a recurrent stream split over two would lose its past at every frame.
  if (o.recurrent && o.workers !== 1) throw new ModelError(`${o.name} is recurrent: it runs in one worker, not ${o.workers}`);
  const config: WorkerConfig = { path: o.path, name: o.name, scale: o.scale, threads: o.threadsPerWorker, tiling: o.tiling, fault: o.fault, recurrent: o.recurrent, motion: o.motion, io8: o.io8 };
  const started = await Promise.allSettled(Array.from({ length: o.workers }, () => startWorker(config)));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.worker.terminate() : null)));
    throw failed.reason as Error;
  }
  const ready = started.map((r) => (r as PromiseFulfilledResult<{ worker: Worker; backend: string }>).value);
  const backend = ready[0]?.backend ?? 'onnxruntime-cpu';
  let broken: Error | null = null;
  let disposed = false;
  let nextId = 0;
  const slots: Slot[] = ready.map(({ worker }) => {
    const slot: Slot = { worker, jobs: new Map(), exited: false };
    worker.on('message', (m: FromWorker) => {
      if (m.kind !== 'done' && m.kind !== 'failed') return;
      const job = slot.jobs.get(m.id);
      if (!job) return;
      slot.jobs.delete(m.id);
      if (m.kind === 'failed') {
        job.reject(new ModelError(`${o.name}: ${m.message}`));
        return;
      }
      const f = job.frame;
      const format = { ...f.format, width: f.format.width * o.scale, height: f.format.height * o.scale };
      job.resolve({ frame: makeFrame(f.index, f.ptsMs, format, m.bytes), times: m.times });
    });
    const stop = (why: string): void => {
      if (disposed) return;
      // The first cause is kept: an uncaught error is followed by the thread's exit.
      broken ??= new ModelError(`an upscale worker thread ${why}; the run cannot continue`);
      for (const job of slot.jobs.values()) job.reject(broken);
      slot.jobs.clear();
    };
    worker.on('error', (err) => stop(`failed: ${err.message}`));
    worker.on('exit', (code) => {
      slot.exited = true;
      stop(`ended in the middle of the run (exit code ${code})`);
    });
    return slot;
  });
  const send = (frame: Frame, alone: boolean): Promise<Upscaled> =>
    new Promise<Upscaled>((resolve, reject) => {
        if (broken) return reject(broken);
        // The least busy worker; frames already queued there wait their turn in its message queue.
        const slot = slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
        const id = nextId++;
        slot.jobs.set(id, { frame, resolve, reject });
        // The source's buffer stays with the pipeline (metrics, preview); the worker gets its own copy.
        const bytes = frame.bytes.slice();
        const job: ToWorker = { id, index: frame.index, ptsMs: frame.ptsMs, format: frame.format, bytes, alone };
        slot.worker.postMessage(job, [bytes.buffer]);
    });
  return {
    scale: o.scale,
    runtime: { model: o.name, backend, workers: o.workers, threadsPerWorker: o.threadsPerWorker },
    parallelism: o.workers,
    upscale: (frame) => send(frame, false),
    // A recurrent model's stream lives in its one worker, which runs a frame outside it on request.
    ...(o.recurrent ? { upscaleAlone: (frame: Frame) => send(frame, true) } : {}),
    dispose: async () => {
      disposed = true;
      // Asked to stop, a worker finishes the frame it is on (terminating it mid-inference would abort the
      // process, see upscale-worker.ts), drops the rest and exits; terminate is the last resort.
      await Promise.all(
        slots.map(({ worker, jobs, exited }) => {
          for (const job of jobs.values()) job.reject(new ModelError('the upscaler was closed'));
          jobs.clear();
          // A thread that already died sends no second 'exit': waiting for one would hold the run for the timeout.
          if (exited) return null;
          return new Promise<void>((resolve) => {
            const timer = setTimeout(() => void worker.terminate().then(() => resolve()), CLOSE_TIMEOUT_MS);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            worker.postMessage('close');
          });
        }),
      );
    },
  };
};

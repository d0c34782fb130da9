/**
 * Loading the network once a model file is chosen: on one luma plane in this thread (images, `srvid eval`),
 * or as the frame upscaler of a video, on the first backend that loads it, in the threads that will run it.
 */
import { availableParallelism } from 'node:os';
import { AbortedError, ModelError } from '../errors.js';
import { loadOnnxRecurrent, type OnnxProvider } from './backends/onnxruntime.js';
import { createRecurrentUpscaler } from './rvsr/recurrent-upscaler.js';
import type { LumaModel, Upscaler } from '../pipeline/ports.js';
import { createFrameUpscaler } from './espcn/upscale-frame.js';
import { resolveModel, type ModelChoice, type ResolvedModel, type RunModelChoice } from './resolve-model.js';
import { firstThatOpens, selectBackend } from './select-backend.js';
import { createWorkerUpscaler } from './worker/worker-upscaler.js';

/** The network on one luma plane, in this thread (images, `srvid eval`). */
export const loadLumaModel = async (o: RunModelChoice, resolved = resolveModel(o)): Promise<LumaModel> =>
  selectBackend({ ...resolved, scale: o.scale, threads: o.threads, backend: o.backend, device: o.device });

/** What a caller may ask of the video model: the runtime fields optional, defaulted by the API (src/api/run-options.ts). */
export interface VideoModelOptions extends ModelChoice {
  /** Worker threads for onnxruntime on CPU (default 0: one per core). */
  readonly workers?: number;
  /** A fault injected into the worker threads on frame 3 (the fault tests; see worker/protocol.ts). */
  readonly workerFault?: 'throw' | 'exit';
  /** Stops waiting for the load: an AbortedError at once; the model is closed once it has loaded. */
  readonly signal?: AbortSignal;
  readonly onWarning?: (message: string) => void;
}

/** The video model's choice as the loader takes it: the runtime choice resolved. */
export type VideoModelChoice = VideoModelOptions & RunModelChoice;

/**
 * The frame upscaler for videos, loaded once. On onnxruntime's CPU provider each worker thread loads its own
 * session (see worker-upscaler.ts) and nothing is loaded on the main thread; other runtimes (GPUs, tfjs) keep
 * one model on the main thread. `whenLoaded` runs on the loaded upscaler before the load counts as done (a
 * stop meanwhile still ends the wait at once), and may wrap it.
 */
export const loadVideoUpscaler = async (
  o: VideoModelChoice,
  resolved = resolveModel(o),
  whenLoaded: (u: Upscaler) => Promise<Upscaler> = async (u) => u,
): Promise<Upscaler> => {
  if (o.signal?.aborted) throw new AbortedError();
  const loading = openVideoUpscaler(o, resolved).then(whenLoaded);
  return o.signal ? untilAborted(loading, o.signal) : loading;
};

/**
 * The load, unless the run is stopped first (a session can take seconds to build on a GPU): then an
 * AbortedError at once, and the upscaler is closed when it has loaded, since a thread is never terminated
 * while onnxruntime works in it (see upscale-worker.ts).
 */
const untilAborted = (loading: Promise<Upscaler>, signal: AbortSignal): Promise<Upscaler> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      reject(new AbortedError());
      // The run is already over: a load that fails now has nothing to close, and cleanup errors are not thrown.
      loading.then((u) => u.dispose()).catch(() => {});
    };
    signal.addEventListener('abort', onAbort, { once: true });
    loading.then(
      (u) => {
        signal.removeEventListener('abort', onAbort);
        resolve(u);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });

/**
 * A recurrent model's frames depend on each other, so one worker runs them in order with every core in its
 * session (two one-thread workers would each hold half of the stream); elsewhere, one worker a core.
 */
const openVideoUpscaler = async (o: VideoModelChoice, resolved: ResolvedModel): Promise<Upscaler> => {
  const cores = availableParallelism();
  if (resolved.recurrent && (o.workers ?? 0) > 1) o.onWarning?.(`--workers ${o.workers}: ${resolved.name} is recurrent, so one worker runs its frames in order`);
  const workers = resolved.recurrent ? 1 : o.workers || cores;
  const threadsPerWorker = o.threads || Math.max(1, Math.floor(cores / workers));
  const load = { path: resolved.path, name: resolved.name, scale: o.scale, threads: o.threads };
  return firstThatOpens({ backend: o.backend, device: o.device }, async (c) => {
    if (c.id === 'onnxruntime-cpu') return createWorkerUpscaler({ ...resolved, scale: o.scale, workers, threadsPerWorker, fault: o.workerFault });
    if (!resolved.recurrent) return createFrameUpscaler(await c.load(load), resolved.tiling);
    if (c.backend !== 'onnx') throw new ModelError(`${resolved.name} is a recurrent model, which ${c.id} does not run`);
    return createRecurrentUpscaler(await loadOnnxRecurrent({ ...load, provider: c.id.replace('onnxruntime-', '') as OnnxProvider }), resolved.tiling, resolved.motion);
  });
};

/**
 * Which model file, and loading it once: a shipped model by family and scale, or `--model-file`, whose scale
 * is checked before anything is decoded; then the first backend that loads it, in the threads that will run it.
 */
import { availableParallelism } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { AbortedError, ModelError } from '../errors.js';
import { createFrameUpscaler, DEFAULT_OVERLAP, tilePixelsFor, type Tiling } from '../models/espcn/upscale-frame.js';
import { readOnnxGraph } from '../models/espcn/read-onnx-weights.js';
import { AUTO_MODEL, defaultModel, findModel } from '../models/registry.js';
import { firstThatOpens, landsOnCpuOnnx, selectBackend, type BackendChoice, type DeviceChoice } from '../models/select-backend.js';
import { createWorkerUpscaler } from '../models/worker/worker-upscaler.js';
import type { LumaModel, Upscaler } from '../pipeline/ports.js';
import { holdForTests } from './test-hold.js';

export interface ModelChoice {
  /** Model family (default: the best-quality one trained for the scale), or 'auto': the best that keeps up with a live input. */
  readonly model?: string;
  /** A specific .onnx file instead of a shipped model. */
  readonly modelFile?: string;
  readonly scale: number;
  /** Intra-op threads for onnxruntime (per worker for videos); 0 = the cores shared out among the workers. */
  readonly threads?: number;
  /** Runtime (default auto: the fastest that loads) and device (default auto: a GPU when one works). */
  readonly backend?: BackendChoice;
  readonly device?: DeviceChoice;
  /** Largest frame, in input pixels, the network sees at once; larger frames go in overlapping strips (default: by the network's width, tilePixelsFor). */
  readonly tilePixels?: number;
  /**
   * Whether the run is live, and the input's bit depth once probed (default 8): where srvid chooses the model
   * itself, a live run on onnxruntime's CPU provider gets the int8 twin of the default (about twice as fast,
   * a little less steady from frame to frame, see defaultModel), unless its input is deeper than the 8-bit
   * steps an int8 model reads.
   */
  readonly live?: boolean;
  readonly bitDepth?: number;
}

export interface ResolvedModel {
  readonly name: string;
  readonly path: string;
  readonly tiling: Tiling;
}

/** The widest layer's channels from a model's metadata (SESR: width, ESPCN: channels), 64 when it does not say. */
const widestLayer = (meta: Record<string, unknown>): number => {
  const a = meta.architecture as { width?: unknown; channels?: unknown } | undefined;
  if (typeof a?.width === 'number') return a.width;
  if (Array.isArray(a?.channels) && a.channels.every((c) => typeof c === 'number')) return Math.max(...(a.channels as number[]));
  return 64;
};

/** The metadata JSON training writes beside a model (empty when there is none or it is unreadable). */
const readMeta = (onnxPath: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(onnxPath.replace(/\.onnx$/, '.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/**
 * The factor an ESPCN-style ONNX file upscales by: its last convolution has r² output channels (the pixel
 * shuffle's input). Throws a ModelError for a file that is not a readable ONNX model.
 */
export const onnxScale = (path: string): number | null => {
  let weights;
  try {
    weights = readOnnxGraph(readFileSync(path)).weights;
  } catch (err) {
    throw new ModelError(
      `${path} is not a readable ONNX model (${(err as Error).message}); give an .onnx file that srvid's training exported`,
    );
  }
  const kernels = [...weights.values()].filter((t) => t.dims.length === 4);
  const last = kernels[kernels.length - 1];
  if (!last) throw new ModelError(`${path} holds no convolution weights; give an .onnx file that srvid's training exported`);
  const r = Math.round(Math.sqrt(last.dims[0] as number));
  return r * r === last.dims[0] && r > 1 ? r : null;
};

/** Finds the model file and checks that it upscales by `scale`; no runtime is loaded yet. */
export const resolveModel = ({
  model: asked,
  modelFile,
  scale,
  tilePixels,
  backend,
  device,
  live = false,
  bitDepth = 8,
}: ModelChoice): ResolvedModel => {
  // auto: the default model; a live run may then pick a faster one that keeps up (choose-live-model.ts).
  const cpuInt8 = live && bitDepth <= 8 && landsOnCpuOnnx(backend ?? 'auto', device ?? 'auto');
  const model = asked === undefined || asked === AUTO_MODEL ? defaultModel(scale, cpuInt8) : asked;
  let entry;
  if (modelFile) {
    if (!existsSync(modelFile)) throw new ModelError(`${modelFile}: no such model file`);
    const meta = readMeta(modelFile);
    const found = typeof meta.scale === 'number' ? meta.scale : onnxScale(modelFile);
    if (found !== null && found !== scale) {
      throw new ModelError(`${modelFile} upscales x${found}, not x${scale}: pass --scale ${found}, or a model trained for x${scale}`);
    }
    entry = { name: modelFile, path: modelFile, meta };
  } else {
    entry = findModel(model, scale);
  }
  const radius = (entry.meta.architecture as { receptiveRadius?: unknown } | undefined)?.receptiveRadius;
  // A model without metadata gets twice ESPCN's radius: tiles cost a little more, and stay exact for wider nets.
  const overlap = typeof radius === 'number' ? radius : 2 * DEFAULT_OVERLAP;
  return { name: entry.name, path: entry.path, tiling: { maxPixels: tilePixels ?? tilePixelsFor(widestLayer(entry.meta)), overlap } };
};

/** The network on one luma plane, in this thread (images, `srvid eval`). */
export const loadLumaModel = async (o: ModelChoice, resolved = resolveModel(o)): Promise<LumaModel> =>
  selectBackend({ ...resolved, scale: o.scale, threads: o.threads ?? 0, backend: o.backend ?? 'auto', device: o.device ?? 'auto' });

export interface VideoModelChoice extends ModelChoice {
  /** Worker threads for onnxruntime on CPU (default 0: one per core). */
  readonly workers?: number;
  /** Stops waiting for the load: an AbortedError at once; the model is closed once it has loaded. */
  readonly signal?: AbortSignal;
  readonly onWarning?: (message: string) => void;
}

/**
 * The frame upscaler for videos, loaded once. On onnxruntime's CPU provider each worker thread loads its own
 * session (see worker-upscaler.ts) and nothing is loaded on the main thread; other runtimes (GPUs, tfjs) keep
 * one model on the main thread.
 */
export const loadVideoUpscaler = async (o: VideoModelChoice, resolved = resolveModel(o)): Promise<Upscaler> => {
  if (o.signal?.aborted) throw new AbortedError();
  const loading = openVideoUpscaler(o, resolved).then(async (u) => {
    await holdForTests('load', o.signal, o.onWarning);
    return slowedForTests(u);
  });
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
 * A test-only hook: SRVID_TEST_SLOW_MODEL_MS=N makes every network call take N ms longer, so the tests can
 * put a live run behind real time on purpose. Unset, the upscaler is returned as it is.
 */
const slowedForTests = (u: Upscaler): Upscaler => {
  const ms = Number(process.env.SRVID_TEST_SLOW_MODEL_MS ?? 0);
  if (!(ms > 0)) return u;
  return { ...u, upscale: async (f) => (await new Promise((r) => setTimeout(r, ms)), u.upscale(f)), dispose: () => u.dispose() };
};

const openVideoUpscaler = async (o: VideoModelChoice, resolved: ResolvedModel): Promise<Upscaler> => {
  const cores = availableParallelism();
  const workers = o.workers || cores;
  const threadsPerWorker = o.threads || Math.max(1, Math.floor(cores / workers));
  const load = { path: resolved.path, name: resolved.name, scale: o.scale, threads: o.threads ?? 0 };
  return firstThatOpens({ backend: o.backend ?? 'auto', device: o.device ?? 'auto' }, async (c) =>
    c.id === 'onnxruntime-cpu'
      ? createWorkerUpscaler({ ...resolved, scale: o.scale, workers, threadsPerWorker })
      : createFrameUpscaler(await c.load(load), resolved.tiling),
  );
};

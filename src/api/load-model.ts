import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ModelError } from '../errors.js';
import { createFrameUpscaler, DEFAULT_OVERLAP, DEFAULT_TILE_PIXELS, type Tiling } from '../models/espcn/upscale-frame.js';
import { findModel } from '../models/registry.js';
import { selectBackend, type BackendChoice, type DeviceChoice } from '../models/select-backend.js';
import { createWorkerUpscaler } from '../models/worker/worker-upscaler.js';
import type { LumaModel, Upscaler } from '../pipeline/ports.js';

export interface ModelChoice {
  /** Model family (default 'espcn'). */
  readonly model?: string;
  /** A specific .onnx file instead of a shipped model. */
  readonly modelFile?: string;
  readonly scale: number;
  /** Intra-op threads for onnxruntime (per worker for videos); 0 = the cores shared out among the workers. */
  readonly threads?: number;
  /** Runtime (default auto: the fastest that loads) and device (default auto: a GPU when one works). */
  readonly backend?: BackendChoice;
  readonly device?: DeviceChoice;
  /** Largest frame, in input pixels, the network sees at once; larger frames go in overlapping strips. */
  readonly tilePixels?: number;
}

interface ResolvedModel {
  readonly name: string;
  readonly path: string;
  readonly tiling: Tiling;
}

const resolveModel = ({ model = 'espcn', modelFile, scale, tilePixels = DEFAULT_TILE_PIXELS }: ModelChoice): ResolvedModel => {
  if (modelFile && !existsSync(modelFile)) throw new ModelError(`${modelFile}: no such model file`);
  const entry = modelFile ? { name: modelFile, path: modelFile, meta: readMeta(modelFile) } : findModel(model, scale);
  const radius = (entry.meta.architecture as { receptiveRadius?: unknown } | undefined)?.receptiveRadius;
  // A model without metadata gets twice ESPCN's radius: tiles cost a little more, and stay exact for wider nets.
  const overlap = typeof radius === 'number' ? radius : 2 * DEFAULT_OVERLAP;
  return { name: entry.name, path: entry.path, tiling: { maxPixels: tilePixels, overlap } };
};

/** The metadata JSON training writes beside a model (empty when there is none or it is unreadable). */
const readMeta = (onnxPath: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(onnxPath.replace(/\.onnx$/, '.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
};

export const loadLumaModel = async (o: ModelChoice): Promise<LumaModel> => {
  const { name, path } = resolveModel(o);
  return selectBackend({ path, name, scale: o.scale, threads: o.threads ?? 0, backend: o.backend ?? 'auto', device: o.device ?? 'auto' });
};

export interface VideoModelChoice extends ModelChoice {
  /** Worker threads for onnxruntime on CPU (default 0: one per core). */
  readonly workers?: number;
}

export interface LoadedUpscaler {
  readonly upscaler: Upscaler;
  readonly model: string;
  readonly backend: string;
}

/**
 * The frame upscaler for videos. On onnxruntime's CPU provider the work goes to worker threads (see
 * worker-upscaler.ts); other runtimes (GPUs, tfjs) keep one model on the main thread.
 */
export const loadVideoUpscaler = async (o: VideoModelChoice): Promise<LoadedUpscaler> => {
  const resolved = resolveModel(o);
  const model = await loadLumaModel(o);
  if (model.backend !== 'onnxruntime-cpu') {
    return { upscaler: createFrameUpscaler(model, resolved.tiling), model: model.name, backend: model.backend };
  }
  await model.dispose();
  const cores = availableParallelism();
  const workers = o.workers || cores;
  const threadsPerWorker = o.threads || Math.max(1, Math.floor(cores / workers));
  const upscaler = await createWorkerUpscaler({ ...resolved, scale: o.scale, workers, threadsPerWorker });
  return { upscaler, model: resolved.name, backend: model.backend };
};

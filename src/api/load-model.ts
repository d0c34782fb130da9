import { existsSync } from 'node:fs';
import { ModelError } from '../errors.js';
import { findModel } from '../models/registry.js';
import { selectBackend, type BackendChoice, type DeviceChoice } from '../models/select-backend.js';
import type { LumaModel } from '../pipeline/ports.js';

export interface ModelChoice {
  /** Model family (default 'espcn'). */
  readonly model?: string;
  /** A specific .onnx file instead of a shipped model. */
  readonly modelFile?: string;
  readonly scale: number;
  /** Intra-op threads for onnxruntime; 0 = one per core. */
  readonly threads?: number;
  /** Runtime (default auto: the fastest that loads) and device (default auto: a GPU when one works). */
  readonly backend?: BackendChoice;
  readonly device?: DeviceChoice;
}

export const loadLumaModel = async ({ model = 'espcn', modelFile, scale, threads = 0, backend = 'auto', device = 'auto' }: ModelChoice): Promise<LumaModel> => {
  if (modelFile && !existsSync(modelFile)) throw new ModelError(`${modelFile}: no such model file`);
  const entry = modelFile ? { name: modelFile, path: modelFile, scale } : findModel(model, scale);
  return selectBackend({ path: entry.path, name: entry.name, scale, threads, backend, device });
};

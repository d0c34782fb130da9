import { loadOnnxLuma } from '../models/backends/onnxruntime.js';
import { findModel } from '../models/registry.js';
import type { LumaModel } from '../pipeline/ports.js';

export interface ModelChoice {
  /** Model family (default 'espcn'). */
  readonly model?: string;
  /** A specific .onnx file instead of a shipped model. */
  readonly modelFile?: string;
  readonly scale: number;
  /** onnxruntime intra-op threads; 0 = one per core. */
  readonly threads?: number;
}

export const loadLumaModel = async ({ model = 'espcn', modelFile, scale, threads = 0 }: ModelChoice): Promise<LumaModel> => {
  const entry = modelFile ? { name: modelFile, path: modelFile, scale } : findModel(model, scale);
  return loadOnnxLuma({ path: entry.path, name: entry.name, scale, threads });
};

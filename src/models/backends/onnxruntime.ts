/** ESPCN through onnxruntime-node's CPU execution provider. */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../errors.js';
import type { LumaModel } from '../../pipeline/ports.js';

export interface OnnxOptions {
  readonly path: string;
  readonly name: string;
  readonly scale: number;
  /** Intra-op threads; 0 lets onnxruntime choose (one per core). */
  readonly threads: number;
}

export const loadOnnxLuma = async ({ path, name, scale, threads }: OnnxOptions): Promise<LumaModel> => {
  if (!existsSync(path)) throw new ModelError(`model file ${path} is missing; reinstall srvid or pass --model-file`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: ['cpu'],
    });
  } catch (err) {
    throw new ModelError(`cannot load ${path} with onnxruntime: ${(err as Error).message}`);
  }
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  if (!input || !output) throw new ModelError(`${path} has no input or output`);
  return {
    scale,
    name,
    backend: 'onnxruntime-cpu',
    run: async (luma, width, height) => {
      const tensor = new ort.Tensor('float32', luma, [1, 1, height, width]);
      const result = await session.run({ [input]: tensor });
      const out = result[output];
      if (!out || out.dims[2] !== height * scale || out.dims[3] !== width * scale) {
        throw new ModelError(`${name}: unexpected output shape ${out?.dims.join('x')} for a ${width}x${height} input`);
      }
      // The CPU provider's output data is a plain JS-owned Float32Array; nothing native to free.
      return out.data as Float32Array;
    },
    dispose: () => session.release(),
  };
};

/** ESPCN through onnxruntime-node's CPU execution provider. */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../errors.js';
import type { LumaModel } from '../../pipeline/ports.js';

/** onnxruntime execution providers srvid can ask for. */
export type OnnxProvider = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';

export interface OnnxOptions {
  readonly path: string;
  readonly name: string;
  readonly scale: number;
  /** Intra-op threads; 0 lets onnxruntime choose (one per core). */
  readonly threads: number;
  readonly provider?: OnnxProvider;
}

const HOW_TO_GET: Record<OnnxProvider, string> = {
  cpu: 'reinstall srvid',
  cuda: 'install onnxruntime-node\'s CUDA libraries: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (needs CUDA 12 and cuDNN 9)',
  tensorrt: 'install onnxruntime-node\'s CUDA libraries (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js) and TensorRT 10 on the library path',
  webgpu: 'needs a GPU with a Vulkan driver (libvulkan1 and the vendor ICD)',
};

// onnxruntime logs failed provider loads on stderr itself; srvid reports them in its own words.
ort.env.logLevel = 'fatal';

export const loadOnnxLuma = async ({ path, name, scale, threads, provider = 'cpu' }: OnnxOptions): Promise<LumaModel> => {
  if (!existsSync(path)) throw new ModelError(`model file ${path} is missing; reinstall srvid or pass --model-file`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // The memory pattern pre-plans one block for all activations: about 90 MB more per session at 640x360,
      // for no measurable speed. The arena stays: without it each run pays for fresh pages (4x slower here).
      enableMemPattern: false,
      executionProviders: [provider],
      logSeverityLevel: 4,
    });
  } catch (err) {
    // onnxruntime's messages start with a source location and an assertion; keep the human part.
    const why = ((err as Error).message.split('\n')[0] ?? '').replace(/^.*\] /, '').replace(/^.* was false\. /, '');
    if (provider === 'cpu') throw new ModelError(`cannot load ${path} with onnxruntime: ${why}`);
    throw new ModelError(`onnxruntime ${provider} provider unavailable (${why}); ${HOW_TO_GET[provider]}`);
  }
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  if (!input || !output) throw new ModelError(`${path} has no input or output`);
  return {
    scale,
    name,
    backend: `onnxruntime-${provider}`,
    run: async (luma, width, height, into) => {
      const tensor = new ort.Tensor('float32', luma, [1, 1, height, width]);
      // A caller's buffer as the output saves allocating (and later collecting) one per frame.
      const fetches = into ? { [output]: new ort.Tensor('float32', into, [1, 1, height * scale, width * scale]) } : undefined;
      const result = fetches ? await session.run({ [input]: tensor }, fetches) : await session.run({ [input]: tensor });
      const out = result[output];
      if (!out || out.dims[2] !== height * scale || out.dims[3] !== width * scale) {
        throw new ModelError(`${name}: unexpected output shape ${out?.dims.join('x')} for a ${width}x${height} input`);
      }
      // The CPU provider's output data is a plain JS-owned Float32Array; nothing native to free.
      return into ?? (out.data as Float32Array);
    },
    dispose: () => session.release(),
  };
};

/** ESPCN through onnxruntime-node's CPU execution provider. */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../../errors.js';
import type { LumaModel, RecurrentLumaModel } from '../../pipeline/ports.js';
import { withByteIo } from './byte-io-graph.js';

/** onnxruntime execution providers srvid can ask for. */
export type OnnxProvider = 'cpu' | 'cuda' | 'tensorrt' | 'webgpu';

export interface OnnxOptions {
  readonly path: string;
  readonly name: string;
  readonly scale: number;
  /** Intra-op threads; 0 lets onnxruntime choose (one per core). */
  readonly threads: number;
  readonly provider?: OnnxProvider;
  /**
   * Run the graph on 8-bit planes (byte-io-graph.ts): for a model whose output lies on the 8-bit grid (its
   * metadata's `io8`), fed 8-bit frames. The model then has `run8`; `run` opens the plain graph beside it.
   */
  readonly io8?: boolean;
}

const HOW_TO_GET: Record<OnnxProvider, string> = {
  cpu: 'reinstall srvid',
  cuda: 'install onnxruntime-node\'s CUDA libraries: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (needs CUDA 12 and cuDNN 9)',
  tensorrt: 'install onnxruntime-node\'s CUDA libraries (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js) and TensorRT 10 on the library path',
  webgpu: 'needs a GPU with a Vulkan driver (libvulkan1 and the vendor ICD)',
};

// onnxruntime logs failed provider loads on stderr itself; srvid reports them in its own words.
ort.env.logLevel = 'fatal';

const openSession = async ({ path, threads, provider = 'cpu', io8 = false }: OnnxOptions): Promise<ort.InferenceSession> => {
  if (!existsSync(path)) throw new ModelError(`model file ${path} is missing; reinstall srvid or pass --model-file`);
  try {
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      // The memory pattern pre-plans one block for all activations: about 90 MB more per session at 640x360,
      // for no measurable speed. The arena stays: without it each run pays for fresh pages (4x slower here).
      enableMemPattern: false,
      executionProviders: [provider],
      logSeverityLevel: 4,
    };
    return await (io8 ? ort.InferenceSession.create(withByteIo(readFileSync(path)), options) : ort.InferenceSession.create(path, options));
  } catch (err) {
    // onnxruntime's messages start with a source location and an assertion; keep the human part.
    const why = ((err as Error).message.split('\n')[0] ?? '').replace(/^.*\] /, '').replace(/^.* was false\. /, '');
    if (provider === 'cpu') throw new ModelError(`cannot load ${path} with onnxruntime: ${why}`);
    throw new ModelError(`onnxruntime ${provider} provider unavailable (${why}); ${HOW_TO_GET[provider]}`);
  }
};

/** The inputs and outputs of a recurrent graph (training/export_rvsr.py), in the order RecurrentInput names them. */
const RECURRENT_INPUTS = ['y', 'y_prev', 'y_up_prev', 'state'] as const;
const RECURRENT_OUTPUTS = ['y_up', 'state_next'] as const;

/** Whether a session's graph is a recurrent one: it takes a state. */
const isRecurrent = (session: ort.InferenceSession): boolean => session.inputNames.includes('state');

const recurrentModel = (session: ort.InferenceSession, o: OnnxOptions, stateChannels: number): RecurrentLumaModel => {
  const { name, scale, provider = 'cpu' } = o;
  return {
    scale,
    name,
    backend: `onnxruntime-${provider}`,
    stateChannels,
    step: async (input, width, height) => {
      const lr = [1, 1, height, width];
      const feeds = {
        y: new ort.Tensor('float32', input.y, lr),
        y_prev: new ort.Tensor('float32', input.yPrev, lr),
        y_up_prev: new ort.Tensor('float32', input.yUpPrev, [1, 1, height * scale, width * scale]),
        state: new ort.Tensor('float32', input.state, [1, stateChannels, height, width]),
      };
      const result = await session.run(feeds);
      const yUp = result.y_up;
      const state = result.state_next;
      if (!yUp || !state || yUp.dims[2] !== height * scale || yUp.dims[3] !== width * scale || state.dims[1] !== stateChannels) {
        throw new ModelError(`${name}: unexpected output shapes ${yUp?.dims.join('x')}, ${state?.dims.join('x')} for a ${width}x${height} input`);
      }
      return { yUp: yUp.data as Float32Array, state: state.data as Float32Array };
    },
    dispose: () => session.release(),
  };
};

/** The state's channel count, from the graph's declared `state` input (N x C x H x W). */
const stateChannelsOf = (session: ort.InferenceSession, path: string): number => {
  const missing = [...RECURRENT_INPUTS.filter((n) => !session.inputNames.includes(n)), ...RECURRENT_OUTPUTS.filter((n) => !session.outputNames.includes(n))];
  if (missing.length > 0) throw new ModelError(`${path} takes a state but has no ${missing.join(', ')}; give a graph training/export_rvsr.py exported`);
  const meta = session.inputMetadata.find((m) => m.name === 'state');
  const c = meta?.isTensor ? meta.shape[1] : undefined;
  if (typeof c !== 'number' || c < 1) throw new ModelError(`${path}: its state input has no fixed channel count`);
  return c;
};

/** A recurrent network (rvsr) as a stream of steps; see RecurrentLumaModel. */
export const loadOnnxRecurrent = async (o: OnnxOptions): Promise<RecurrentLumaModel> => {
  const session = await openSession(o);
  try {
    if (!isRecurrent(session)) throw new ModelError(`${o.path} is not a recurrent model (it takes no state)`);
    return recurrentModel(session, o, stateChannelsOf(session, o.path));
  } catch (err) {
    await session.release();
    throw err;
  }
};

/**
 * A recurrent network on a plane of its own (a still image, `srvid eval`, a strip of one): each call starts
 * from a reset (no previous frame, no state), which is how every training sequence starts.
 */
const aloneEachCall = (model: RecurrentLumaModel): LumaModel => ({
  scale: model.scale,
  name: model.name,
  backend: model.backend,
  run: async (luma, width, height, into) => {
    const s = model.scale;
    const input = { y: luma, yPrev: luma, yUpPrev: new Float32Array(s * s * width * height), state: new Float32Array(model.stateChannels * width * height) };
    const { yUp } = await model.step(input, width, height);
    if (!into) return yUp;
    into.set(yUp);
    return into;
  },
  dispose: () => model.dispose(),
});

/** A luma graph's output, checked to be the input's size times the scale. */
const checkedOutput = (name: string, out: ort.Tensor | undefined, width: number, height: number, scale: number): ort.Tensor => {
  if (!out || out.dims[2] !== height * scale || out.dims[3] !== width * scale) {
    throw new ModelError(`${name}: unexpected output shape ${out?.dims.join('x')} for a ${width}x${height} input`);
  }
  return out;
};

/**
 * A graph made to read and write 8-bit planes (OnnxOptions.io8): `run8` hands it the plane's bytes and takes
 * its bytes back, with no conversion in JavaScript. `run` (floats: a 10-bit frame, an image) opens the plain
 * graph on its first call, so a plane that is not 8-bit is never rounded to 8 bits on its way in.
 */
const byteModel = (session: ort.InferenceSession, o: OnnxOptions, input: string, output: string): LumaModel => {
  const { name, scale, provider = 'cpu' } = o;
  let floats: Promise<LumaModel> | null = null;
  return {
    scale,
    name,
    backend: `onnxruntime-${provider}`,
    run8: async (luma, width, height, into) => {
      const feeds = { [input]: new ort.Tensor('uint8', luma, [1, 1, height, width]) };
      const result = into
        ? await session.run(feeds, { [output]: new ort.Tensor('uint8', into, [1, 1, height * scale, width * scale]) })
        : await session.run(feeds);
      const out = checkedOutput(name, result[output], width, height, scale);
      return into ?? (out.data as Uint8Array);
    },
    run: async (luma, width, height, into) => (await (floats ??= loadOnnxLuma({ ...o, io8: false }))).run(luma, width, height, into),
    // Both sessions are released whatever happens to the other; a cleanup error is not thrown.
    dispose: async () => {
      await Promise.allSettled([session.release(), floats?.then((m) => m.dispose())]);
    },
  };
};

export const loadOnnxLuma = async (o: OnnxOptions): Promise<LumaModel> => {
  const { path, name, scale, provider = 'cpu' } = o;
  const session = await openSession(o);
  if (isRecurrent(session)) {
    try {
      return aloneEachCall(recurrentModel(session, o, stateChannelsOf(session, path)));
    } catch (err) {
      await session.release();
      throw err;
    }
  }
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  if (!input || !output) throw new ModelError(`${path} has no input or output`);
  if (o.io8) return byteModel(session, o, input, output);
  return {
    scale,
    name,
    backend: `onnxruntime-${provider}`,
    run: async (luma, width, height, into) => {
      const tensor = new ort.Tensor('float32', luma, [1, 1, height, width]);
      // A caller's buffer as the output saves allocating (and later collecting) one per frame.
      const fetches = into ? { [output]: new ort.Tensor('float32', into, [1, 1, height * scale, width * scale]) } : undefined;
      const result = fetches ? await session.run({ [input]: tensor }, fetches) : await session.run({ [input]: tensor });
      const out = checkedOutput(name, result[output], width, height, scale);
      // The CPU provider's output data is a plain JS-owned Float32Array; nothing native to free.
      return into ?? (out.data as Float32Array);
    },
    dispose: () => session.release(),
  };
};

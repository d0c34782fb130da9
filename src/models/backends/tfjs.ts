/**
 * srvid's plain-chain networks (ESPCN, SESR) with TensorFlow.js ops on the same shipped ONNX weights: @tensorflow/tfjs-node-gpu when it is
 * installed and loads, else @tensorflow/tfjs-node, else @tensorflow/tfjs-backend-wasm (always installed).
 * The two native packages are optional dependencies: their install downloads libtensorflow, which fails
 * where only the npm registry is reachable, and then they are simply absent.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelError } from '../../errors.js';
import type { LumaModel } from '../../pipeline/ports.js';
import { readOnnxGraph, type OnnxGraph, type OnnxTensor } from '../espcn/read-onnx-weights.js';

import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';

type Tf = typeof TfCore;
export type TfjsFlavour = 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs-wasm';

export interface TfjsRuntime {
  readonly tf: Tf;
  readonly flavour: TfjsFlavour;
}

const require = createRequire(import.meta.url);
/**
 * The compute ops of srvid's exports (shape plumbing such as Constant/Slice/Reshape aside): edge padding,
 * unpadded convolutions each followed by tanh or ReLU but the last, the nearest skip, the pixel shuffle.
 */
const COMPUTE_OPS = new Set(['Pad', 'Conv', 'Tanh', 'Relu', 'Add', 'DepthToSpace']);
const PLAIN_CHAIN = /^Pad,(Conv,(Tanh|Relu),)+Conv,Add,DepthToSpace$/;
type Activation = 'Tanh' | 'Relu' | null;

const loaded = new Map<TfjsFlavour, Promise<TfjsRuntime>>();

const importNative = async (pkg: string, flavour: TfjsFlavour): Promise<TfjsRuntime> => {
  // A variable specifier: these packages are optional and may be absent at compile time too.
  const tf = (await import(pkg)) as Tf;
  await tf.ready();
  return { tf, flavour };
};

const importWasm = async (): Promise<TfjsRuntime> => {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from the package's dist folder (a path, not a URL).
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  await tf.ready();
  return { tf, flavour: 'tfjs-wasm' };
};

/** Loads (once) one tfjs flavour; rejects with the reason it is unavailable. */
export const loadTfjs = (flavour: TfjsFlavour): Promise<TfjsRuntime> => {
  let p = loaded.get(flavour);
  if (!p) {
    p =
      flavour === 'tfjs-wasm'
        ? importWasm()
        : importNative(flavour === 'tfjs-node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node', flavour);
    loaded.set(flavour, p);
    p.catch(() => loaded.delete(flavour));
  }
  return p;
};

/** Why a tfjs flavour is unavailable, as one line with what to do. */
export const explainTfjsFailure = (flavour: TfjsFlavour, err: unknown): string => {
  const msg = (err as Error)?.message?.split('\n')[0] ?? String(err);
  if (flavour === 'tfjs-wasm') return `tfjs wasm backend failed: ${msg}`;
  const pkg = `@tensorflow/${flavour}`;
  if (/Cannot find (module|package)/.test(msg)) {
    return `${pkg} is not installed (its install downloads libtensorflow; run npm install ${pkg} where that is reachable${flavour === 'tfjs-node-gpu' ? ', with CUDA 11.2 and cuDNN 8.1' : ''})`;
  }
  return `${pkg} does not load: ${msg}`;
};

interface ChainLayer {
  readonly weight: OnnxTensor;
  readonly bias: OnnxTensor;
  readonly activation: Activation;
}

/**
 * The convolutions of a plain-chain graph in order, with the activation after each; throws a ModelError
 * naming what differs for any other graph.
 */
export const readPlainChain = (graph: OnnxGraph, path: string, scale: number): ChainLayer[] => {
  if (graph.nodes.some((n) => n.op === 'QuantizeLinear' || n.op === 'QLinearConv')) {
    throw new ModelError(`${path} runs in 8-bit integers, which only onnxruntime does; use --backend onnx, or a float model with tfjs`);
  }
  const compute = graph.nodes.filter((n) => COMPUTE_OPS.has(n.op));
  const ops = compute.map((n) => n.op).join(',');
  if (!PLAIN_CHAIN.test(ops)) {
    throw new ModelError(`${path} is not a plain chain of convolutions the tfjs backend runs (ops ${ops || 'none'}); use --backend onnx`);
  }
  const layers: ChainLayer[] = [];
  let channels = 1;
  compute.forEach((node, i) => {
    if (node.op !== 'Conv') return;
    const weight = graph.weights.get(node.inputs[1] ?? '');
    const bias = graph.weights.get(node.inputs[2] ?? '');
    const [o, c, h, w] = weight?.dims ?? [];
    if (!weight || !bias || weight.dims.length !== 4 || c !== channels || h !== w || (h as number) % 2 !== 1 || bias.dims[0] !== o) {
      throw new ModelError(`${path}: convolution ${layers.length + 1} has no usable weight and bias (${weight?.dims.join('x') ?? 'none'}); use --backend onnx`);
    }
    channels = o as number;
    const next = compute[i + 1]?.op;
    layers.push({ weight, bias, activation: next === 'Tanh' || next === 'Relu' ? next : null });
  });
  if (channels !== scale * scale) throw new ModelError(`${path} ends in ${channels} channels, not the ${scale * scale} of x${scale}`);
  return layers;
};

/** OIHW (ONNX/PyTorch) → HWIO (tfjs). */
export const oihwToHwio = (t: OnnxTensor): Float32Array => {
  const [o, i, h, w] = t.dims as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((y * w + x) * i + b) * o + a] = t.data[((a * i + b) * h + y) * w + x] as number;
  return out;
};

/** ONNX Pad mode 'edge' (PyTorch 'replicate') on H and W of an NHWC tensor; tfjs has only constant and mirror pads. */
export const padEdge = (tf: Tf, x: Tensor4D, r: number): Tensor4D => {
  const [, h, w] = x.shape;
  const rows = tf.concat([tf.tile(tf.slice(x, [0, 0, 0, 0], [-1, 1, -1, -1]), [1, r, 1, 1]), x, tf.tile(tf.slice(x, [0, h - 1, 0, 0], [-1, 1, -1, -1]), [1, r, 1, 1])], 1);
  return tf.concat(
    [tf.tile(tf.slice(rows, [0, 0, 0, 0], [-1, -1, 1, -1]), [1, 1, r, 1]), rows, tf.tile(tf.slice(rows, [0, 0, w - 1, 0], [-1, -1, 1, -1]), [1, 1, r, 1])],
    2,
  );
};

export interface TfjsOptions {
  readonly path: string;
  readonly name: string;
  readonly scale: number;
  readonly runtime: TfjsRuntime;
}

export const loadTfjsLuma = async ({ path, name, scale, runtime }: TfjsOptions): Promise<LumaModel> => {
  const { tf } = runtime;
  let graph;
  try {
    graph = readOnnxGraph(readFileSync(path));
  } catch (err) {
    throw new ModelError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const chain = readPlainChain(graph, path, scale);
  // Edge padding before the unpadded convolutions: half of each kernel, summed (4 for ESPCN's 5×5, 3×3, 3×3).
  const radius = chain.reduce((r, l) => r + ((l.weight.dims[2] as number) - 1) / 2, 0);
  const layers = chain.map((l) => {
    const [o, i, h, w] = l.weight.dims as [number, number, number, number];
    return { weight: tf.tensor4d(oihwToHwio(l.weight), [h, w, i, o]), bias: tf.tensor1d(l.bias.data), activation: l.activation };
  });
  // ONNX DepthToSpace here is CRD and tf.depthToSpace is DCR; with one output channel (Y) the two orders
  // coincide (depth index = dy·r + dx in both), so the r² maps need no reordering.
  let disposed = false;
  return {
    scale,
    name,
    backend: runtime.flavour,
    run: async (luma, width, height) => {
      if (disposed) throw new ModelError(`${name} was disposed`);
      const out = tf.tidy(() => {
        const x = tf.tensor4d(luma, [1, height, width, 1]);
        let h = padEdge(tf, x, radius);
        for (const l of layers) {
          const z = tf.add<Tensor4D>(tf.conv2d(h, l.weight, 1, 'valid'), l.bias);
          h = l.activation === 'Tanh' ? tf.tanh<Tensor4D>(z) : l.activation === 'Relu' ? tf.relu<Tensor4D>(z) : z;
        }
        return tf.depthToSpace(tf.add<Tensor4D>(h, x), scale, 'NHWC'); // the skip broadcasts over r²
      });
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      for (const l of layers) tf.dispose([l.weight, l.bias]);
    },
  };
};

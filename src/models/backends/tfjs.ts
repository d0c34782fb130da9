/**
 * ESPCN with TensorFlow.js ops on the same shipped ONNX weights: @tensorflow/tfjs-node-gpu when it is
 * installed and loads, else @tensorflow/tfjs-node, else @tensorflow/tfjs-backend-wasm (always installed).
 * The two native packages are optional dependencies: their install downloads libtensorflow, which fails
 * where only the npm registry is reachable, and then they are simply absent.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelError } from '../../errors.js';
import type { LumaModel } from '../../pipeline/ports.js';
import { readOnnxGraph, type OnnxTensor } from '../espcn/read-onnx-weights.js';

import type * as TfCore from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';

type Tf = typeof TfCore;
export type TfjsFlavour = 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs-wasm';

export interface TfjsRuntime {
  readonly tf: Tf;
  readonly flavour: TfjsFlavour;
}

const require = createRequire(import.meta.url);
/** The compute ops of srvid's ESPCN export, in order (shape plumbing such as Constant/Slice/Reshape aside). */
const ESPCN_OPS = ['Pad', 'Conv', 'Tanh', 'Conv', 'Tanh', 'Conv', 'Add', 'DepthToSpace'];
const COMPUTE_OPS = new Set(ESPCN_OPS);
/** Edge padding before the unpadded convolutions: 2 + 1 + 1 pixels for the 5×5, 3×3, 3×3 kernels. */
const RADIUS = 4;

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

const expect = (weights: Map<string, OnnxTensor>, name: string, dims: number[]): OnnxTensor => {
  const t = weights.get(name);
  if (!t || t.dims.join('x') !== dims.join('x')) {
    throw new ModelError(`${name}: expected ${dims.join('x')}, found ${t ? t.dims.join('x') : 'nothing'}; the tfjs backend runs ESPCN only`);
  }
  return t;
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
  const ops = graph.ops.filter((op) => COMPUTE_OPS.has(op));
  if (ops.join(',') !== ESPCN_OPS.join(',')) {
    throw new ModelError(`${path} is not the ESPCN graph the tfjs backend runs (ops ${ops.join(', ') || 'none'}); use --backend onnx`);
  }
  const w = graph.weights;
  const c1 = w.get('conv1.weight')?.dims[0] ?? 0;
  const c2 = w.get('conv2.weight')?.dims[0] ?? 0;
  const conv = (n: string, dims: [number, number, number, number]) => {
    const t = expect(w, `${n}.weight`, dims);
    const [o, i, h, ww] = dims;
    return {
      weight: tf.tensor4d(oihwToHwio(t), [h, ww, i, o]),
      bias: tf.tensor1d(expect(w, `${n}.bias`, [o]).data),
    };
  };
  // ONNX DepthToSpace here is CRD and tf.depthToSpace is DCR; with one output channel (Y) the two orders
  // coincide (depth index = dy·r + dx in both), so the r² maps need no reordering.
  const layers = [conv('conv1', [c1, 1, 5, 5]), conv('conv2', [c2, c1, 3, 3]), conv('conv3', [scale * scale, c2, 3, 3])] as const;
  let disposed = false;
  return {
    scale,
    name,
    backend: runtime.flavour,
    run: async (luma, width, height) => {
      if (disposed) throw new ModelError(`${name} was disposed`);
      const out = tf.tidy(() => {
        const x = tf.tensor4d(luma, [1, height, width, 1]);
        const [l1, l2, l3] = layers;
        const padded = padEdge(tf, x, RADIUS);
        const h1 = tf.tanh<Tensor4D>(tf.add<Tensor4D>(tf.conv2d(padded, l1.weight, 1, 'valid'), l1.bias));
        const h2 = tf.tanh<Tensor4D>(tf.add<Tensor4D>(tf.conv2d(h1, l2.weight, 1, 'valid'), l2.bias));
        const h3 = tf.add<Tensor4D>(tf.add<Tensor4D>(tf.conv2d(h2, l3.weight, 1, 'valid'), l3.bias), x); // the skip broadcasts over r²
        return tf.depthToSpace(h3, scale, 'NHWC');
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

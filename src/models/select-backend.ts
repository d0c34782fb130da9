/**
 * Which runtime runs the network: `--backend auto|onnx|tfjs` × `--device auto|cpu|gpu`. Candidates are tried
 * fastest first; `auto` takes the first that loads, and a failed explicit choice names every reason.
 */
import { existsSync, readdirSync } from 'node:fs';
import { ModelError } from '../errors.js';
import type { LumaModel } from '../pipeline/ports.js';
import { loadOnnxLuma, type OnnxProvider } from './backends/onnxruntime.js';
import { explainTfjsFailure, loadTfjs, loadTfjsLuma, type TfjsFlavour } from './backends/tfjs.js';

export const BACKENDS = ['auto', 'onnx', 'tfjs'] as const;
export const DEVICES = ['auto', 'cpu', 'gpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
export type DeviceChoice = (typeof DEVICES)[number];

export interface Candidate {
  readonly id: string;
  readonly backend: 'onnx' | 'tfjs';
  readonly device: 'cpu' | 'gpu';
  /** Only when asked for by name (--backend onnx --device gpu), never by `auto`. */
  readonly explicitOnly?: boolean;
  readonly load: (m: { path: string; name: string; scale: number; threads: number }) => Promise<LumaModel>;
}

const onnx = (provider: OnnxProvider, device: 'cpu' | 'gpu', explicitOnly = false): Candidate => ({
  id: `onnxruntime-${provider}`,
  backend: 'onnx',
  device,
  explicitOnly,
  load: (m) => loadOnnxLuma({ ...m, provider }),
});

const tfjs = (flavour: TfjsFlavour, device: 'cpu' | 'gpu'): Candidate => ({
  id: flavour,
  backend: 'tfjs',
  device,
  load: async (m) => {
    let runtime;
    try {
      runtime = await loadTfjs(flavour);
    } catch (err) {
      throw new ModelError(explainTfjsFailure(flavour, err));
    }
    if (flavour === 'tfjs-node-gpu' && runtime.tf.getBackend() !== 'tensorflow') {
      throw new ModelError('@tensorflow/tfjs-node-gpu loaded without its GPU backend');
    }
    return loadTfjsLuma({ ...m, runtime });
  },
});

/**
 * All runtimes, fastest first (measured on CPU: onnxruntime ~15× tfjs-wasm; GPUs ahead of both). TensorRT
 * is tried only for `--backend onnx --device gpu`: its engine build takes minutes on first use, which
 * `auto` should not impose.
 */
export const CANDIDATES: readonly Candidate[] = [
  onnx('cuda', 'gpu'),
  onnx('tensorrt', 'gpu', true),
  onnx('webgpu', 'gpu'),
  tfjs('tfjs-node-gpu', 'gpu'),
  onnx('cpu', 'cpu'),
  tfjs('tfjs-node', 'cpu'),
  tfjs('tfjs-wasm', 'cpu'),
];

export const candidatesFor = (backend: BackendChoice, device: DeviceChoice): Candidate[] =>
  CANDIDATES.filter(
    (c) =>
      (backend === 'auto' || c.backend === backend) &&
      (device === 'auto' || c.device === device) &&
      (!c.explicitOnly || (backend === c.backend && device === c.device)),
  );

const GPU_DEVICE_NODES = ['/dev/nvidia0', '/dev/dxg', '/dev/kfd'];

/**
 * Whether this machine exposes a GPU device node at all. `--device auto` tries GPU runtimes only then:
 * elsewhere they cannot work, cost start-up time, and Dawn (WebGPU) prints driver noise on stderr.
 */
export const hasGpuDevice = (): boolean => {
  if (GPU_DEVICE_NODES.some((p) => existsSync(p))) return true;
  try {
    return readdirSync('/dev/dri').some((n) => n.startsWith('renderD'));
  } catch {
    return false;
  }
};

/**
 * Whether `backend` × `device` lands on onnxruntime's CPU provider, where int8 models are the fast ones: an
 * explicit CPU, or `auto` on a machine without a GPU device node (with one, a GPU runtime is tried first).
 */
export const landsOnCpuOnnx = (backend: BackendChoice, device: DeviceChoice): boolean =>
  backend !== 'tfjs' && (device === 'cpu' || (device === 'auto' && !hasGpuDevice()));

export interface SelectOptions {
  readonly path: string;
  readonly name: string;
  readonly scale: number;
  readonly threads: number;
  readonly backend: BackendChoice;
  readonly device: DeviceChoice;
}

/**
 * Opens the first candidate that works, in CANDIDATES order, with `open` (which loads the model its own way:
 * in this thread, or in worker threads). A candidate fails by throwing a ModelError; any other error stops.
 */
export const firstThatOpens = async <T>(
  o: { readonly backend: BackendChoice; readonly device: DeviceChoice },
  open: (c: Candidate) => Promise<T>,
): Promise<T> => {
  const reasons: string[] = [];
  const gpu = o.device !== 'auto' || hasGpuDevice();
  for (const c of candidatesFor(o.backend, o.device)) {
    if (c.device === 'gpu' && !gpu) continue;
    try {
      return await open(c);
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      reasons.push(`${c.id}: ${err.message}`);
    }
  }
  throw new ModelError(
    `no ${o.backend === 'auto' ? '' : `${o.backend} `}backend for ${o.device === 'auto' ? 'any device' : `the ${o.device.toUpperCase()}`} loads — ${reasons.join('; ')}`,
  );
};

/** Loads the model in this thread with the first candidate that works. */
export const selectBackend = (o: SelectOptions): Promise<LumaModel> => firstThatOpens(o, (c) => c.load(o));

/**
 * Which model file a run uses: the family's shipped file for the scale (the default family, or for a live run
 * on onnxruntime's CPU provider the fastest int8 family trained for it), or `--model-file`, whose scale is read from its metadata or
 * its graph and checked before anything is decoded; with the tiling its width and receptive field call for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ModelError, UsageError } from '../errors.js';
import { DEFAULT_OVERLAP, tilePixelsFor, type Tiling } from './espcn/upscale-frame.js';
import { readPlainChain } from './backends/tfjs.js';
import { readOnnxGraph, type OnnxGraph } from './espcn/read-onnx-weights.js';
import { AUTO_MODEL, defaultModel, findModel, type ModelEntry } from './registry.js';
import { landsOnCpuOnnx, type BackendChoice, type DeviceChoice } from './select-backend.js';
import { motionSearchOf, type MotionSearch } from './rvsr/global-motion.js';

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
   * itself, a live run on onnxruntime's CPU provider gets the fastest int8 family trained for the scale (qsr at
   * x2, sesr-int8 at x3 and x4: less steady from frame to frame, see defaultModel), unless its input is deeper
   * than the 8-bit steps an int8 model reads.
   */
  readonly live?: boolean;
  readonly bitDepth?: number;
}

/** A choice as the entry points hand it down, their defaults applied (src/api/run-options.ts): nothing to default here. */
export type RunModelChoice = ModelChoice & { readonly threads: number; readonly backend: BackendChoice; readonly device: DeviceChoice };

export interface ResolvedModel {
  readonly name: string;
  readonly path: string;
  readonly tiling: Tiling;
  /** A recurrent network (rvsr): frames carry state in order, on onnxruntime only (see rvsr/recurrent-upscaler.ts). */
  readonly recurrent: boolean;
  /** A recurrent network trained with its past moved by the motion: the search to run before each frame. */
  readonly motion: MotionSearch | null;
  /**
   * The model's output lies on the 8-bit grid (its metadata's `io8`, written by training/quantize_chain.py) and
   * the input is 8-bit: onnxruntime's CPU workers run it on the frames' bytes (backends/byte-io-graph.ts).
   */
  readonly io8: boolean;
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

const readGraph = (path: string): OnnxGraph => {
  try {
    return readOnnxGraph(readFileSync(path));
  } catch (err) {
    throw new ModelError(
      `${path} is not a readable ONNX model (${(err as Error).message}); give an .onnx file that srvid's training exported`,
    );
  }
};

/** Whether an ONNX file's graph reads a `state` input: a recurrent network (training/export_rvsr.py). */
const onnxTakesState = (path: string): boolean => readGraph(path).nodes.some((n) => n.inputs.includes('state'));

/**
 * The factor an ESPCN-style ONNX file upscales by: its last convolution has r² output channels (the pixel
 * shuffle's input). Throws a ModelError for a file that is not a readable ONNX model.
 */
export const onnxScale = (path: string): number | null => {
  const { weights } = readGraph(path);
  const kernels = [...weights.values()].filter((t) => t.dims.length === 4);
  const last = kernels[kernels.length - 1];
  if (!last) throw new ModelError(`${path} holds no convolution weights; give an .onnx file that srvid's training exported`);
  const r = Math.round(Math.sqrt(last.dims[0] as number));
  return r * r === last.dims[0] && r > 1 ? r : null;
};

/** `--backend tfjs` with a graph srvid's TensorFlow.js loader cannot build is refused before anything starts. */
const checkTfjsRuns = (entry: ModelEntry, recurrent: boolean, scale: number): void => {
  if (recurrent) throw new UsageError(`${entry.name} is a recurrent model, which srvid runs with onnxruntime only; leave out --backend tfjs`);
  try {
    readPlainChain(readGraph(entry.path), entry.name, scale);
  } catch (err) {
    if (err instanceof ModelError) throw new UsageError(err.message);
    throw err;
  }
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
}: RunModelChoice): ResolvedModel => {
  // auto: the default model; a live run may then pick a faster one that keeps up (choose-live-model.ts).
  const cpuInt8 = live && bitDepth <= 8 && landsOnCpuOnnx(backend, device);
  const model = asked === undefined || asked === AUTO_MODEL ? defaultModel(scale, cpuInt8) : asked;
  let entry: ModelEntry;
  if (modelFile) {
    if (!existsSync(modelFile)) throw new ModelError(`${modelFile}: no such model file`);
    const meta = readMeta(modelFile);
    const found = typeof meta.scale === 'number' ? meta.scale : onnxScale(modelFile);
    if (found !== null && found !== scale) {
      throw new ModelError(`${modelFile} upscales x${found}, not x${scale}: pass --scale ${found}, or a model trained for x${scale}`);
    }
    entry = { name: modelFile, path: modelFile, scale, meta };
  } else {
    entry = findModel(model, scale);
  }
  const recurrent = entry.meta.recurrent === true || (modelFile !== undefined && onnxTakesState(modelFile));
  if (backend === 'tfjs') checkTfjsRuns(entry, recurrent, scale);
  const arch = (entry.meta.architecture ?? {}) as { receptiveRadius?: unknown; tileOverlap?: unknown; tileAlign?: unknown; tilePixels?: unknown };
  // A model without metadata gets twice ESPCN's radius: tiles cost a little more, and stay exact for wider nets.
  // A deep 'same'-padded net may say how much of its radius its weights use (tileOverlap, measured at export).
  const radius = typeof arch.receptiveRadius === 'number' ? arch.receptiveRadius : 2 * DEFAULT_OVERLAP;
  const overlap = typeof arch.tileOverlap === 'number' && arch.tileOverlap >= 1 ? Math.min(arch.tileOverlap, radius) : radius;
  // The export may say where strips must start (strided stages) and how large they can be (wide activations).
  const align = typeof arch.tileAlign === 'number' && arch.tileAlign >= 1 ? { align: arch.tileAlign } : {};
  const maxPixels = tilePixels ?? (typeof arch.tilePixels === 'number' ? arch.tilePixels : tilePixelsFor(widestLayer(entry.meta)));
  // A deeper input would open the float graph beside it in every worker on its first frame.
  const io8 = entry.meta.io8 === true && !recurrent && bitDepth <= 8;
  const motion = recurrent ? motionSearchOf(entry.meta.motion, entry.path) : null;
  return { name: entry.name, path: entry.path, tiling: { maxPixels, overlap, ...align }, recurrent, motion, io8 };
};

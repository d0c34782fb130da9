/** The shipped models (under models/) by name and scale, with the metadata written at training time. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ModelError, UsageError } from '../errors.js';

/** models/ at the package root, from src/models or dist/models alike. */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/**
 * The shipped model families, best quality on video first, then the classic networks shipped for comparison
 * (OFFLINE_FAMILIES); `--model` takes these names.
 */
export const MODEL_FAMILIES = [
  'rvsr',
  'sesr',
  'sesr-int8',
  'qsr',
  'espcn',
  'espcn-int8',
  'espcn-light',
  'srcnn',
  'vdsr',
  'srresnet',
  'srgan',
  'unet',
] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** What each family is for, in a few words (for --help). */
export const MODEL_SUMMARIES: Record<ModelFamily, string> = {
  rvsr: 'recurrent video model: each frame also uses the frames before it, moved by the camera\'s motion; a little sharper and steadier on video than sesr, about 2.5-3x slower; x2 and x4, onnxruntime only',
  sesr: 'best single-frame quality, in float: runs on every backend',
  qsr: 'a network shaped for 8-bit integer arithmetic on a CPU (its layers run on 2x2 blocks of pixels): about 1.5x as fast as sesr-int8 there (1.2x end to end; 1.8x float sesr), as sharp as sesr on still images and less steady on video; the default for live runs on a CPU at x2; x2 only, onnxruntime only',
  'sesr-int8': 'sesr in 8-bit integers: about 1.7x as fast on a CPU, a little less steady on video; the default for live runs on a CPU at x3 and x4',
  espcn: 'the previous default, for comparison',
  'espcn-int8': 'espcn with 8-bit integer arithmetic, onnxruntime only',
  'espcn-light': 'x2 only, the lightest float network, for real time on any runtime',
  srcnn: 'the classic SRCNN (Dong et al. 2014, 9-5-5 at the output size), for comparison: less sharp than sesr at 17x its work (from 640x360 on 2 CPU cores about 2 fps at x2, 1 at x3, 0.2 at x4), so files and images only; onnxruntime only',
  vdsr: 'the classic VDSR (Kim et al. 2016, 20 layers at the output size, one network for x2, x3 and x4), for comparison: 200 times the work of sesr at x2, about 1.1 fps at x2 and 0.3 at x4 from 320x180 on 2 CPU cores (sesr: 30), so files and images only; onnxruntime only',
  srresnet: 'the classic SRResNet (Ledig et al. 2017, 16 residual blocks), trained for PSNR, for comparison: x4 only, about 0.7 fps from 320x180 on 2 CPU cores, so files and images only; onnxruntime only',
  srgan: 'SRResNet trained against a discriminator (SRGAN): draws texture where the others blur it, at the cost of fidelity (lower PSNR, invented detail); for photos, not measurement: x4 only, as slow as srresnet; onnxruntime only',
  unet: 'a U-Net encoder-decoder (strided convolutions down, transposed up, skip connections), for comparison: x4 only, about 3.4 fps from 320x180 on 2 CPU cores (sesr: 30), so files and images only; onnxruntime only',
};

/** `--model auto`: the best-quality family, or for a live input the best one that keeps up with it. */
export const AUTO_MODEL = 'auto';

/** Every upscaling factor srvid supports. */
export const SCALES = [2, 3, 4] as const;
export type Scale = (typeof SCALES)[number];

/** "2, 3 or 4", for messages and help. */
export const SCALE_LIST = `${SCALES.slice(0, -1).join(', ')} or ${SCALES[SCALES.length - 1]}`;

/** `scale` as a supported factor, or a UsageError that lists them. */
export const checkScale = (scale: number): Scale => {
  if (!(SCALES as readonly number[]).includes(scale)) throw new UsageError(`unsupported scale ${scale}; use ${SCALE_LIST}`);
  return scale as Scale;
};

/** `name` as a shipped model family, or a UsageError that lists them. */
export const checkModelFamily = (name: string): ModelFamily => {
  if (!(MODEL_FAMILIES as readonly string[]).includes(name)) throw new UsageError(`unknown model "${name}"; available: ${MODEL_FAMILIES.join(', ')}`);
  return name as ModelFamily;
};

/** Scales each family is trained for. */
const FAMILY_SCALES: Record<ModelFamily, readonly number[]> = {
  rvsr: [2, 4],
  sesr: SCALES,
  qsr: [2],
  'sesr-int8': SCALES,
  espcn: SCALES,
  'espcn-int8': SCALES,
  'espcn-light': [2],
  srcnn: SCALES,
  vdsr: SCALES,
  srresnet: [4],
  srgan: [4],
  unet: [4],
};

/** The scales a family was trained for. */
export const trainedScales = (family: ModelFamily): readonly number[] => FAMILY_SCALES[family];

/**
 * Families in 8-bit integers: fast only on onnxruntime's CPU provider (VNNI), which is also the only runtime
 * srvid offers them on (TensorFlow.js has no integer convolution; a GPU runs float faster).
 */
export const INT8_FAMILIES: readonly ModelFamily[] = ['qsr', 'sesr-int8', 'espcn-int8'];

/**
 * Recurrent families: frames carry state in order (src/models/rvsr/). Never a default: rvsr costs about 3.4-3.7x
 * sesr's work per pixel for a modest gain, so it is asked for by name; `--model auto` on a live input starts
 * from the default and looks only at cheaper models when that falls short, so it never takes rvsr.
 */
export const RECURRENT_FAMILIES: readonly ModelFamily[] = ['rvsr'];

/**
 * The field's classic networks, shipped to compare against (issue #25; docs/training-classic.md): far too slow
 * for a live input on a CPU, so `--model auto` never measures them for one. Named, they run anywhere.
 */
export const OFFLINE_FAMILIES: readonly ModelFamily[] = ['srcnn', 'vdsr', 'srresnet', 'srgan', 'unet'];

/**
 * The int8 families a live run on a CPU starts from, fastest first (docs/performance.md): keeping up with the
 * input comes before the last hundredths of a dB there. qsr runs about 1.5x as fast as sesr-int8 and scores as sesr does.
 */
const LIVE_CPU_FAMILIES: readonly ModelFamily[] = ['qsr', 'sesr-int8'];

/**
 * The model a run uses unless told otherwise: the best-quality float family trained for the scale, or
 * (`cpuInt8`: a live run on onnxruntime's CPU provider) the fastest int8 family trained for it, qsr at x2 and
 * sesr-int8 at x3 and x4. Their 8-bit activations round differently from frame to frame, which makes them
 * less steady on real footage than sesr (docs/training.md), so files keep sesr.
 */
export const defaultModel = (scale: number, cpuInt8 = false): ModelFamily => {
  const float = MODEL_FAMILIES.find((f) => FAMILY_SCALES[f].includes(scale) && !INT8_FAMILIES.includes(f) && !RECURRENT_FAMILIES.includes(f)) ?? 'sesr';
  return (cpuInt8 && LIVE_CPU_FAMILIES.find((f) => FAMILY_SCALES[f].includes(scale))) || float;
};

/** The defaults in words, for --help: derived from defaultModel, so the two cannot disagree. */
export const DEFAULTS_IN_WORDS = ((): string => {
  const byFamily = new Map<ModelFamily, number[]>();
  for (const s of SCALES) byFamily.set(defaultModel(s, true), [...(byFamily.get(defaultModel(s, true)) ?? []), s]);
  const live =
    byFamily.size === 1 ? [...byFamily.keys()].join('') : [...byFamily].map(([f, scales]) => `${f} at x${scales.join(' and x')}`).join(', ');
  return `${defaultModel(2)}, and ${live} for live runs on a CPU`;
})();

export interface ModelEntry {
  readonly name: string;
  readonly scale: number;
  readonly path: string;
  readonly meta: Record<string, unknown>;
}

export const findModel = (family: string, scale: number, dir = MODELS_DIR): ModelEntry => {
  const trained = FAMILY_SCALES[checkModelFamily(family)];
  checkScale(scale);
  if (!trained.includes(scale)) {
    throw new UsageError(`${family} is trained for x${trained.join(', x')} only; use --model ${defaultModel(scale)} for x${scale}`);
  }
  const name = `${family}-x${scale}`;
  const path = `${dir}${name}.onnx`;
  if (!existsSync(path)) throw new ModelError(`model ${name} is not installed (${path} missing); reinstall srvid`);
  const metaPath = `${dir}${name}.json`;
  const meta = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>) : {};
  if (typeof meta.scale === 'number' && meta.scale !== scale) {
    throw new ModelError(`${metaPath} says scale ${String(meta.scale)}, expected ${scale}`);
  }
  return { name, scale, path, meta };
};

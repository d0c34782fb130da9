/**
 * The super-resolution field's evaluation protocol on a folder of HR images: BT.601 Y, HR cropped to a
 * multiple of the scale, LR by antialiased bicubic downscaling (MATLAB imresize), `scale` pixels cropped at
 * each border, PSNR-Y and SSIM-Y of srvid and of bicubic upscaling, and their sharpness (gradient ratio to the
 * truth, quality/sharpness.ts: how much detail, not how faithful; srgan trades the one for the other).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, basename } from 'node:path';
import { AbortedError, InputError } from '../errors.js';
import { IMAGE_EXTENSIONS, readImage } from '../ingest/read-image.js';
import { upscaleLuma } from '../models/espcn/upscale-frame.js';
import { rgbToY } from '../image/color.js';
import { quantize, resizeBicubic } from '../image/resize.js';
import type { LumaModel } from '../pipeline/ports.js';
import { psnr } from '../quality/psnr.js';
import { gradientRatio } from '../quality/sharpness.js';
import { ssim } from '../quality/ssim.js';
import { checkScale } from './choices.js';
import { resolveOptions } from './run-options.js';
import { loadLumaModel } from '../models/load-upscaler.js';
import type { ModelChoice } from '../models/resolve-model.js';

/** One upscale against the truth: PSNR-Y (dB), SSIM-Y, and sharpness (gradient ratio; the truth is 1). */
export interface EvalScores {
  readonly psnr: number;
  readonly ssim: number;
  readonly sharpness: number;
}

export interface EvalRow {
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly bicubic: EvalScores;
  readonly srvid: EvalScores;
}

export interface EvalResult {
  readonly scale: number;
  readonly model: string;
  readonly rows: readonly EvalRow[];
  readonly mean: Omit<EvalRow, 'image' | 'width' | 'height'>;
}

/** One HR luma plane through the protocol; `model` null measures bicubic only (srvid = bicubic). */
export const evaluateLuma = async (
  hrY: Float32Array,
  width: number,
  height: number,
  scale: number,
  model: LumaModel | null,
): Promise<Omit<EvalRow, 'image'>> => {
  const w = width - (width % scale);
  const h = height - (height % scale);
  const hr = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) hr[y * w + x] = Math.round(hrY[y * width + x] as number);
  const lw = w / scale;
  const lh = h / scale;
  const lr = quantize(resizeBicubic(hr, w, h, lw, lh), new Uint8Array(lw * lh), 255);
  const bic = quantize(resizeBicubic(lr, lw, lh, w, h), new Uint8Array(w * h), 255);
  const sr = model ? quantize(await upscaleLuma(model, { width: lw, height: lh, data: lr }, 8), new Uint8Array(w * h), 255) : bic;
  const opts = { crop: scale };
  const scores = (out: Uint8Array): EvalScores => ({
    psnr: psnr(out, hr, w, h, opts),
    ssim: ssim(out, hr, w, h, opts),
    sharpness: gradientRatio(out, hr, w, h, opts),
  });
  return { width: w, height: h, bicubic: scores(bic), srvid: scores(sr) };
};

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export interface EvaluateOptions extends ModelChoice {
  readonly dir: string;
  readonly onRow?: (row: EvalRow) => void;
  readonly signal?: AbortSignal;
}

/**
 * @example
 * const { mean } = await evaluateImages({ dir: 'Set5', scale: 2 });
 * console.log(mean.srvid.psnr - mean.bicubic.psnr);
 */
export const evaluateImages = async (options: EvaluateOptions): Promise<EvalResult> => {
  const o = resolveOptions(options);
  checkScale(o.scale);
  if (!existsSync(o.dir)) throw new InputError(`${o.dir}: no such folder; give a folder of high-resolution images (png, jpg, webp, …)`);
  let files: string[];
  try {
    if (!statSync(o.dir).isDirectory()) throw new Error('not a folder');
    files = readdirSync(o.dir)
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort();
  } catch (err) {
    throw new InputError(`${o.dir}: cannot list images (${(err as Error).message})`);
  }
  if (!files.length) throw new InputError(`${o.dir}: no images (png, jpg, webp, …) found`);
  const model = await loadLumaModel(o);
  const rows: EvalRow[] = [];
  try {
    for (const f of files) {
      if (o.signal?.aborted) throw new AbortedError('stopped before the end');
      const img = await readImage(join(o.dir, f), { keepAlpha: false });
      const y = rgbToY(img.data, img.width * img.height, img.channels);
      const row = { image: basename(f, extname(f)), ...(await evaluateLuma(y, img.width, img.height, o.scale, model)) };
      rows.push(row);
      o.onRow?.(row);
    }
  } finally {
    await model.dispose();
  }
  const m = (which: 'bicubic' | 'srvid'): EvalScores => ({
    psnr: mean(rows.map((r) => r[which].psnr)),
    ssim: mean(rows.map((r) => r[which].ssim)),
    sharpness: mean(rows.map((r) => r[which].sharpness).filter(Number.isFinite)), // a flat truth has none
  });
  return { scale: o.scale, model: model.name, rows, mean: { bicubic: m('bicubic'), srvid: m('srvid') } };
};

/** Still images: the network on BT.601 Y, bicubic on Cb/Cr (and alpha). */
import { existsSync } from 'node:fs';
import { AbortedError, InputError } from '../errors.js';
import { readImage } from '../ingest/read-image.js';
import { upscaleLuma } from '../models/espcn/upscale-frame.js';
import { rgbToYcbcr, ycbcrToRgb } from '../image/color.js';
import { quantize, resizeBicubic } from '../image/resize.js';
import { checkOutput } from '../sink/check-output.js';
import { writeImage } from '../sink/write-image.js';
import { checkImageFormat, checkScale } from './choices.js';
import { loadLumaModel } from '../models/load-upscaler.js';
import { resolveModel, type ModelChoice } from '../models/resolve-model.js';

export interface UpscaleImageOptions extends ModelChoice {
  readonly input: string;
  readonly output: string;
  readonly overwrite?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Upscales one image file; the output format follows the output's extension.
 *
 * @example
 * await upscaleImage({ input: 'in.png', output: 'out.png', scale: 2 });
 */
export const upscaleImage = async (o: UpscaleImageOptions): Promise<{ width: number; height: number }> => {
  checkScale(o.scale);
  checkImageFormat(o.input);
  checkImageFormat(o.output);
  const resolved = resolveModel(o);
  if (!existsSync(o.input)) throw new InputError(`${o.input}: no such file`);
  checkOutput(o.output, { overwrite: o.overwrite ?? false, inputs: [o.input] });
  const img = await readImage(o.input);
  const model = await loadLumaModel(o, resolved);
  try {
    const { width: w, height: h, channels } = img;
    const s = o.scale;
    const [W, H] = [w * s, h * s];
    const planes = rgbToYcbcr(img.data, w * h, channels);
    const y8 = quantize(planes.y, new Uint8Array(w * h), 255); // the network sees 8-bit luma, as on video
    const y = await upscaleLuma(model, { width: w, height: h, data: y8 }, 8);
    const cb = resizeBicubic(planes.cb, w, h, W, H);
    const cr = resizeBicubic(planes.cr, w, h, W, H);
    const rgb = ycbcrToRgb({ y, cb, cr });
    let data = rgb;
    if (channels === 4) {
      const alpha = new Float32Array(w * h);
      for (let i = 0; i < w * h; i++) alpha[i] = img.data[i * 4 + 3] as number;
      const a = quantize(resizeBicubic(alpha, w, h, W, H), new Uint8Array(W * H), 255);
      data = new Uint8Array(W * H * 4);
      for (let i = 0; i < W * H; i++) {
        data.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
        data[i * 4 + 3] = a[i] as number;
      }
    }
    if (o.signal?.aborted) throw new AbortedError();
    await writeImage(o.output, { width: W, height: H, channels, data });
    return { width: W, height: H };
  } finally {
    await model.dispose();
  }
};

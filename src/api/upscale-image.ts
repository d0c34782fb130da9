/** Still images: read, the network on BT.601 Y with bicubic Cb/Cr and alpha (src/models/espcn/upscale-rgb.ts), write. */
import { existsSync } from 'node:fs';
import { AbortedError, InputError } from '../errors.js';
import { readImage } from '../ingest/read-image.js';
import { upscaleRgb } from '../models/espcn/upscale-rgb.js';
import { loadLumaModel } from '../models/load-upscaler.js';
import { resolveModel, type ModelChoice } from '../models/resolve-model.js';
import { checkOutput } from '../sink/check-output.js';
import { writeImage } from '../sink/write-image.js';
import { checkImageFormat, checkScale } from './choices.js';
import { resolveOptions } from './run-options.js';

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
export const upscaleImage = async (options: UpscaleImageOptions): Promise<{ width: number; height: number }> => {
  const o = resolveOptions(options);
  checkScale(o.scale);
  checkImageFormat(o.input);
  checkImageFormat(o.output);
  const resolved = resolveModel(o);
  if (!existsSync(o.input)) throw new InputError(`${o.input}: no such file`);
  checkOutput(o.output, { overwrite: o.overwrite, inputs: [o.input] });
  const img = await readImage(o.input);
  const model = await loadLumaModel(o, resolved);
  try {
    const out = await upscaleRgb(model, img, o.scale);
    if (o.signal?.aborted) throw new AbortedError();
    await writeImage(o.output, out);
    return { width: out.width, height: out.height };
  } finally {
    await model.dispose();
  }
};

/** Interleaved 8-bit RGB(A) to an image file with sharp; the format follows the extension. */
import { renameSync, unlinkSync, existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { OutputError } from '../errors.js';

export const writeImage = async (
  path: string,
  image: { width: number; height: number; channels: 3 | 4; data: Uint8Array },
): Promise<void> => {
  const final = resolve(path);
  const temp = join(dirname(final), `.${basename(final)}.srvid-${process.pid}.partial${extname(final)}`);
  try {
    await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
      .toFile(temp)
      .then(() => renameSync(temp, final));
  } catch (err) {
    if (existsSync(temp)) unlinkSync(temp);
    throw new OutputError(`cannot write ${path}: ${(err as Error).message}`);
  }
};

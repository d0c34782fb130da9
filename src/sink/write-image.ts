/** Interleaved 8-bit RGB(A) to an image file with sharp; the format follows the extension. */
import { OutputError } from '../errors.js';
import { loadSharp } from '../image/load-sharp.js';
import { createTempFile } from '../ffmpeg/temp-file.js';

export const writeImage = async (
  path: string,
  image: { width: number; height: number; channels: 3 | 4; data: Uint8Array },
): Promise<void> => {
  // The temporary name keeps the extension last: sharp picks the format by it.
  const sharp = await loadSharp();
  const temp = createTempFile(path);
  try {
    await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).toFile(temp.path);
    temp.commit();
  } catch (err) {
    temp.abort();
    throw new OutputError(`cannot write ${path}: ${(err as Error).message}`);
  }
};

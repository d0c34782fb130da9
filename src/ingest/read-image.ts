/** Still images (png, jpg, webp, …) into interleaved 8-bit RGB(A) with sharp. */
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { loadSharp } from '../image/load-sharp.js';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** 3 (RGB) or 4 (RGBA). */
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

/** Still-image files srvid reads and writes with sharp (GIF is left to ffmpeg: it is often an animation). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.avif']);

/** Image files that are taken for images but refused, with what to do: sharp (libvips) neither reads nor writes them. */
export const UNSUPPORTED_IMAGES: ReadonlyMap<string, string> = new Map([
  ['.bmp', 'BMP images cannot be read or written here (sharp has no BMP support); convert to PNG first, e.g. ffmpeg -i in.bmp in.png'],
]);

export const readImage = async (path: string, { keepAlpha = true } = {}): Promise<RgbImage> => {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  const sharp = await loadSharp();
  try {
    let img = sharp(path).toColourspace('srgb');
    const meta = await sharp(path).metadata();
    if (!keepAlpha || !meta.hasAlpha) img = img.removeAlpha();
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3, data: new Uint8Array(data) };
  } catch (err) {
    throw new InputError(`${path}: cannot read it as an image (${(err as Error).message})`);
  }
};

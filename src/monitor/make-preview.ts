/**
 * The dashboard's before/after pair: JPEGs at the output size of plain bicubic upscaling (sharp's cubic,
 * Catmull-Rom like the metric's baseline) of the model's input, and of srvid's output.
 */
import { bitDepth, type Frame } from '../pipeline/frame.js';
import { loadSharp } from '../image/load-sharp.js';
import { SCHEMA_VERSION, type PreviewMessage } from './messages.js';

/** Studio-range YCbCr → RGB coefficients (Kr, Kb) of the two matrices video uses. */
const MATRICES = { bt601: [0.299, 0.114], bt709: [0.2126, 0.0722] } as const;

/** 4:2:0 frame → interleaved 8-bit RGB (chroma repeated per 2×2 block: a preview, not a measurement). */
export const frameToRgb = (frame: Frame, matrix: keyof typeof MATRICES): Buffer => {
  const { width, height } = frame.format;
  const [y, u, v] = frame.planes;
  const down = bitDepth(frame.format.pixFmt) - 8;
  const [kr, kb] = MATRICES[matrix];
  const kg = 1 - kr - kb;
  const rgb = Buffer.alloc(width * height * 3);
  const clamp = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : Math.round(x));
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const c = (row >> 1) * u.width + (col >> 1);
      const l = (((y.data[row * width + col] as number) >> down) - 16) * (255 / 219);
      const pb = (((u.data[c] as number) >> down) - 128) * (255 / 224);
      const pr = (((v.data[c] as number) >> down) - 128) * (255 / 224);
      const r = l + 2 * (1 - kr) * pr;
      const b = l + 2 * (1 - kb) * pb;
      const g = (l - kr * r - kb * b) / kg;
      const i = (row * width + col) * 3;
      rgb[i] = clamp(r);
      rgb[i + 1] = clamp(g);
      rgb[i + 2] = clamp(b);
    }
  }
  return rgb;
};

/** Builds the preview message; `maxWidth` bounds the JPEGs' size (default 1280). */
export const makePreview = async (
  modelInput: Frame,
  output: Frame,
  matrix: string | undefined,
  maxWidth = 1280,
): Promise<PreviewMessage> => {
  const m = matrix === 'bt709' ? 'bt709' : 'bt601';
  const { width, height } = output.format;
  const shown = Math.min(width, maxWidth);
  const shownHeight = Math.round((height * shown) / width);
  const raw = (f: Frame) => ({ raw: { width: f.format.width, height: f.format.height, channels: 3 as const } });
  // Straight to the shown size: the same as bicubic to the output size when it is at most maxWidth wide.
  const sharp = await loadSharp();
  const before = await sharp(frameToRgb(modelInput, m), raw(modelInput))
    .resize(shown, shownHeight, { kernel: 'cubic', fit: 'fill' })
    .jpeg({ quality: 85 })
    .toBuffer();
  const after = await sharp(frameToRgb(output, m), raw(output)).resize(shown, shownHeight).jpeg({ quality: 85 }).toBuffer();
  const url = (b: Buffer): string => `data:image/jpeg;base64,${b.toString('base64')}`;
  return {
    type: 'preview',
    v: SCHEMA_VERSION,
    index: output.index,
    width: shown,
    height: shownHeight,
    before: url(before),
    after: url(after),
  };
};

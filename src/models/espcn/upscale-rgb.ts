/**
 * A still image through the network: BT.601 Y upscaled by the network (as 8-bit luma, as on video), Cb, Cr
 * and alpha by bicubic, back to interleaved 8-bit RGB(A).
 */
import { rgbToYcbcr, ycbcrToRgb } from '../../image/color.js';
import { quantize, resizeBicubic } from '../../image/resize.js';
import type { LumaModel } from '../../pipeline/ports.js';
import { upscaleLuma } from './upscale-frame.js';

/** Interleaved 8-bit RGB or RGBA. */
export interface RgbPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

/** The alpha of RGBA pixels, upscaled by bicubic. */
const upscaleAlpha = (img: RgbPixels, scale: number): Uint8Array => {
  const { width: w, height: h } = img;
  const [W, H] = [w * scale, h * scale];
  const alpha = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) alpha[i] = img.data[i * 4 + 3] as number;
  return quantize(resizeBicubic(alpha, w, h, W, H), new Uint8Array(W * H), 255);
};

export const upscaleRgb = async (model: LumaModel, img: RgbPixels, scale: number): Promise<RgbPixels> => {
  const { width: w, height: h, channels } = img;
  const [W, H] = [w * scale, h * scale];
  const planes = rgbToYcbcr(img.data, w * h, channels);
  const y8 = quantize(planes.y, new Uint8Array(w * h), 255); // the network sees 8-bit luma, as on video
  const y = await upscaleLuma(model, { width: w, height: h, data: y8 }, 8);
  const cb = resizeBicubic(planes.cb, w, h, W, H);
  const cr = resizeBicubic(planes.cr, w, h, W, H);
  const rgb = ycbcrToRgb({ y, cb, cr });
  if (channels === 3) return { width: W, height: H, channels, data: rgb };
  const a = upscaleAlpha(img, scale);
  const data = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    data.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
    data[i * 4 + 3] = a[i] as number;
  }
  return { width: W, height: H, channels, data };
};

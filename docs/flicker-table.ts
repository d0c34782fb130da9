// Temporal flicker on real footage, for the README's quality table: the first 24 frames of a street-camera
// clip (vtest, 768x576) are each downscaled by the scale as `srvid eval` does (MATLAB imresize), upscaled by
// each model and by bicubic, and compared with the original frames.
//   npm run flicker-table   (needs ../shared/data/video/vtest_768x576_f000-023.y4m)
//   FLICKER_SCALES=2 FLICKER_MODELS=sesr,qsr npm run flicker-table   (some scales and families only)
// flicker = mean |Y_t - Y_t-1| over consecutive output frames (scale pixels cropped at each border); the
// table gives it minus the original frames' own. Smoothing lowers it below the source's (this clip's source
// carries MPEG-4 noise that changes every frame), so the table also gives the temporal error, mean
// |(Y_t - Y_t-1) - (S_t - S_t-1)| against the source S: 0 when the output changes exactly as the source does.
import { readFileSync } from 'node:fs';
import { loadLumaModel } from '../src/models/load-upscaler.js';
import { MODEL_FAMILIES, trainedScales } from '../src/models/registry.js';
import { upscaleLuma } from '../src/models/espcn/upscale-frame.js';
import { quantize, resizeBicubic } from '../src/image/resize.js';
import { psnr } from '../src/quality/psnr.js';

const Y4M = new URL('../../shared/data/video/vtest_768x576_f000-023.y4m', import.meta.url).pathname;
const SCALES = (process.env.FLICKER_SCALES ?? '2,3,4').split(',').map(Number);
const FAMILIES = process.env.FLICKER_MODELS ? process.env.FLICKER_MODELS.split(',') : MODEL_FAMILIES;

/** The Y planes of an 8-bit 4:2:0 y4m file. */
const readY4m = (path: string): { width: number; height: number; frames: Uint8Array[] } => {
  const file = readFileSync(path);
  const header = file.subarray(0, file.indexOf(0x0a)).toString();
  const width = Number(/ W(\d+)/.exec(header)![1]);
  const height = Number(/ H(\d+)/.exec(header)![1]);
  const frameBytes = (width * height * 3) / 2;
  const frames: Uint8Array[] = [];
  for (let at = file.indexOf('FRAME'); at >= 0 && at < file.length;) {
    const start = file.indexOf(0x0a, at) + 1;
    frames.push(file.subarray(start, start + width * height));
    at = start + frameBytes;
  }
  return { width, height, frames };
};

/** Mean |Y_t - Y_t-1| over consecutive frames, or with `source`, mean |ΔY - ΔS|. */
const flicker = (frames: Uint8Array[], w: number, h: number, crop: number, source?: Uint8Array[]): number => {
  let sum = 0;
  let n = 0;
  for (let t = 1; t < frames.length; t++) {
    const [a, b] = [frames[t]!, frames[t - 1]!];
    const [sa, sb] = source ? [source[t]!, source[t - 1]!] : [null, null];
    for (let y = crop; y < h - crop; y++) {
      for (let x = crop; x < w - crop; x++) {
        const i = y * w + x;
        const ds = sa && sb ? (sa[i] as number) - (sb[i] as number) : 0;
        sum += Math.abs((a[i] as number) - (b[i] as number) - ds);
      }
    }
    n += (w - 2 * crop) * (h - 2 * crop);
  }
  return sum / n;
};

const clip = readY4m(Y4M);
console.log(`# flicker: ${clip.frames.length} frames of vtest (${clip.width}x${clip.height}), downscaled and upscaled back`);
console.log('| scale | method | PSNR-Y (dB) | flicker − source (levels) | temporal error (levels) |');
console.log('|---|---|---|---|---|');
for (const scale of SCALES) {
  const w = clip.width - (clip.width % scale);
  const h = clip.height - (clip.height % scale);
  const [lw, lh] = [w / scale, h / scale];
  const hr = clip.frames.map((f) => {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) out.set(f.subarray(y * clip.width, y * clip.width + w), y * w);
    return out;
  });
  const lr = hr.map((f) => quantize(resizeBicubic(f, w, h, lw, lh), new Uint8Array(lw * lh), 255));
  const source = flicker(hr, w, h, scale);
  const row = (name: string, out: Uint8Array[]): void => {
    const p = out.reduce((s, f, i) => s + psnr(f, hr[i]!, w, h, { crop: scale }), 0) / out.length;
    const excess = flicker(out, w, h, scale) - source;
    console.log(`| x${scale} | ${name} | ${p.toFixed(2)} | ${excess.toFixed(3)} | ${flicker(out, w, h, scale, hr).toFixed(3)} |`);
  };
  row(
    'bicubic',
    lr.map((f) => quantize(resizeBicubic(f, lw, lh, w, h), new Uint8Array(w * h), 255)),
  );
  for (const family of MODEL_FAMILIES.filter((f) => FAMILIES.includes(f) && trainedScales(f).includes(scale))) {
    const model = await loadLumaModel({ model: family, scale, threads: 0, backend: 'onnx', device: 'cpu' });
    const out: Uint8Array[] = [];
    for (const f of lr) out.push(quantize(await upscaleLuma(model, { width: lw, height: lh, data: f }, 8), new Uint8Array(w * h), 255));
    await model.dispose();
    row(family, out);
  }
  console.log(`| x${scale} | (the source's own flicker: ${source.toFixed(3)} levels) | | | |`);
}

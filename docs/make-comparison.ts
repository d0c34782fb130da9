// Makes docs/comparison.png: one frame of samples/street-360p.mp4 as ground truth, downscaled x2
// (antialiased bicubic), then upscaled back by bicubic and by srvid; the same crop of each, side by side.
//   npm run comparison   (needs ffmpeg on PATH)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { upscaleImage } from '../src/api/upscale-image.js';
import { readImage } from '../src/ingest/read-image.js';
import { resizeInterleaved as resizeRgb } from '../src/image/resize.js';

const SAMPLE = new URL('../samples/street-360p.mp4', import.meta.url).pathname;
const OUT = new URL('./comparison.png', import.meta.url).pathname;
const SCALE = 2;
const CROP = { left: 150, top: 60, width: 160, height: 120 }; // pedestrians and the shop front
const ZOOM = 3;

const dir = mkdtempSync(join(tmpdir(), 'srvid-cmp-'));
try {
  const frame = join(dir, 'frame.png');
  const ff = spawnSync('ffmpeg', ['-v', 'error', '-i', SAMPLE, '-vf', 'select=eq(n\\,25)', '-frames:v', '1', frame]);
  if (ff.status !== 0) throw new Error(`ffmpeg failed: ${ff.stderr}`);
  const hr = await readImage(frame, { keepAlpha: false });
  const [lw, lh] = [hr.width / SCALE, hr.height / SCALE];
  const lrPath = join(dir, 'lr.png');
  const lr = resizeRgb(hr.data, hr.width, hr.height, lw, lh);
  await sharp(lr, { raw: { width: lw, height: lh, channels: 3 } })
    .png()
    .toFile(lrPath);
  const bicubic = resizeRgb(lr, lw, lh, hr.width, hr.height);
  const srPath = join(dir, 'sr.png');
  await upscaleImage({ input: lrPath, output: srPath, scale: SCALE });
  const sr = await readImage(srPath, { keepAlpha: false });
  const tile = (data: Uint8Array) =>
    sharp(data, { raw: { width: hr.width, height: hr.height, channels: 3 } })
      .extract(CROP)
      .resize(CROP.width * ZOOM, CROP.height * ZOOM, { kernel: 'nearest' })
      .png()
      .toBuffer();
  const tiles = await Promise.all([hr.data, bicubic, sr.data].map(tile));
  const gap = 8;
  const label = 28;
  const W = CROP.width * ZOOM;
  const names = ['original (ground truth)', `bicubic x${SCALE}`, `srvid ESPCN x${SCALE}`];
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${3 * W + 2 * gap}" height="${label}">` +
      names
        .map((n, i) => `<text x="${i * (W + gap) + 6}" y="20" font-family="DejaVu Sans, sans-serif" font-size="17">${n}</text>`)
        .join('') +
      '</svg>',
  );
  await sharp({ create: { width: 3 * W + 2 * gap, height: CROP.height * ZOOM + label, channels: 3, background: '#ffffff' } })
    .composite([{ input: svg, left: 0, top: 0 }, ...tiles.map((input, i) => ({ input, left: i * (W + gap), top: label }))])
    .png()
    .toFile(OUT);
  console.log(`wrote ${OUT}: original | bicubic x${SCALE} | srvid x${SCALE} (crop ${CROP.width}x${CROP.height}, shown x${ZOOM})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

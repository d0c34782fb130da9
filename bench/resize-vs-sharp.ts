// srvid's hand-written bicubic (chroma of every frame, the live fallback's luma) against sharp (libvips), the
// vetted native library srvid already ships: 8-bit plane in, 8-bit plane out, one thread each, alternated.
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { leftSitedShift, quantize, resizeBicubic } from '../src/image/resize.js';

const median = (v: readonly number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

/** CPU ms a call (this process, sharp's thread included), median of `rounds` rounds of `calls` calls. */
const cpuMs = async (f: () => unknown, calls = 20): Promise<number> => {
  const c0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) await f();
  const { user, system } = process.cpuUsage(c0);
  return (user + system) / 1000 / calls;
};

/** The first frame of `clip` as a w × h gray plane (real footage: the outputs' distance depends on the content). */
const grayFrame = (clip: string, w: number, h: number): Uint8Array => {
  const r = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-i', clip, '-frames:v', '1', '-s', `${w}x${h}`, '-pix_fmt', 'gray', '-f', 'rawvideo', '-'],
    {
      maxBuffer: 1 << 24,
    },
  );
  if (r.status !== 0 || r.stdout.length !== w * h) throw new Error(`ffmpeg could not read a frame of ${clip}`);
  return new Uint8Array(r.stdout);
};

/** One row per plane, cut from `clip`: ms a plane both ways, and how far apart their outputs are (PSNR, dB). */
export const resizeVsSharp = async (clip: string): Promise<string[][]> => {
  // One thread and no operation cache while measuring (a cached result would skip the work), then as they were:
  // the bench's later sections use sharp too.
  const threads = sharp.concurrency();
  sharp.concurrency(1);
  sharp.cache(false);
  try {
    return await measureBoth(clip);
  } finally {
    sharp.concurrency(threads);
    sharp.cache(true);
  }
};

const measureBoth = async (clip: string): Promise<string[][]> => {
  const rows: string[][] = [];
  for (const [label, w, h, chroma] of [
    ['chroma 320x180 → 640x360 (each frame, twice)', 320, 180, true],
    ['luma 640x360 → 1280x720 (the live fallback)', 640, 360, false],
  ] as const) {
    const src = grayFrame(clip, w, h);
    const [W, H] = [2 * w, 2 * h];
    const scratch = new Float32Array(W * H);
    const ours = new Uint8Array(W * H);
    const srvid = (): Uint8Array =>
      quantize(resizeBicubic(src, w, h, W, H, { into: scratch, shiftX: chroma ? leftSitedShift(2) : 0 }), ours, 255);
    const vips = (): Promise<Buffer> =>
      sharp(src, { raw: { width: w, height: h, channels: 1 } })
        .resize(W, H, { kernel: 'cubic' })
        .toColourspace('b-w')
        .raw()
        .toBuffer();
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < 5; round++) {
      a.push(await cpuMs(srvid));
      b.push(await cpuMs(vips));
    }
    const theirs = await vips();
    const ref = srvid();
    let se = 0;
    for (let i = 0; i < ref.length; i++) se += ((theirs[i] as number) - (ref[i] as number)) ** 2;
    rows.push([
      label,
      `srvid ${median(a).toFixed(2)} ms`,
      `sharp ${median(b).toFixed(2)} ms (${(median(b) / median(a)).toFixed(1)}× srvid's)`,
      `outputs ${(10 * Math.log10((255 * 255 * ref.length) / se)).toFixed(1)} dB apart (not the same resampling)`,
    ]);
  }
  return rows;
};

// A crop of real footage for tests that compare two ways of running a network on the same frame.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

const Y4M = new URL('../../../shared/data/video/vtest_768x576_f000-023.y4m', import.meta.url).pathname;

/** A w×h crop of the luma of the real clip's first frame (Y/255), or a synthetic texture without the clip. */
export const realLuma = (w = 192, h = 144): Float32Array => {
  const out = new Float32Array(w * h);
  if (!existsSync(Y4M)) {
    for (let i = 0; i < out.length; i++) out[i] = (((i % w) * 37 + Math.floor(i / w) * 91) % 220) / 255 + 16 / 255;
    return out;
  }
  const fd = openSync(Y4M, 'r');
  const head = Buffer.alloc(256);
  readSync(fd, head, 0, 256, 0);
  const start = head.indexOf('FRAME\n') + 6; // stream header line, then the first frame's header
  const row = Buffer.alloc(w);
  for (let y = 0; y < h; y++) {
    readSync(fd, row, 0, w, start + (200 + y) * 768 + 300); // rows 200.., columns 300..: pedestrians
    for (let x = 0; x < w; x++) out[y * w + x] = (row[x] as number) / 255;
  }
  closeSync(fd);
  return out;
};

/**
 * `count` consecutive frames of the real clip (24 in all), each the `w × h` crop of its luma at `top`, `left`,
 * as 8-bit samples. Without the clip it throws: these tests are about real motion.
 */
export const realLumaFrames = (count: number, w: number, h: number, top = 200, left = 300): Uint8Array[] => {
  if (!existsSync(Y4M)) throw new Error(`${Y4M} is missing: these tests need ../shared/data beside the repository`);
  const fd = openSync(Y4M, 'r');
  const head = Buffer.alloc(256);
  readSync(fd, head, 0, 256, 0);
  const first = head.indexOf('\n') + 1; // after the stream header
  const frameBytes = 6 + (768 * 576 * 3) / 2; // "FRAME\n", then Y, U and V of 4:2:0
  const frames: Uint8Array[] = [];
  for (let f = 0; f < count; f++) {
    const plane = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) readSync(fd, plane, y * w, w, first + f * frameBytes + 6 + (top + y) * 768 + left);
    frames.push(plane);
  }
  closeSync(fd);
  return frames;
};

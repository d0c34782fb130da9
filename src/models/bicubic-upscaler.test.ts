import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateFrame, type Frame } from '../pipeline/frame.js';
import { leftSitedShift, quantize, resizeBicubic } from '../image/resize.js';
import { createBicubicUpscaler } from './bicubic-upscaler.js';

const format = { width: 40, height: 22, pixFmt: 'yuv420p' as const };

/** A frame whose samples differ with `seed`, so two frames' outputs cannot be mistaken for each other. */
const patterned = (index: number, seed: number): Frame => {
  const f = allocateFrame(index, index * 40, format);
  for (let i = 0; i < f.bytes.length; i++) f.bytes[i] = (i * seed + (i >> 5) * 13) & 255;
  return f;
};

/** The expected output, plane by plane, from the resize functions directly. */
const expected = (f: Frame, scale: number): Uint8Array[] =>
  f.planes.map((p, i) => {
    const w = p.width * scale;
    const h = p.height * scale;
    const shiftX = i === 0 ? 0 : leftSitedShift(scale);
    return quantize(resizeBicubic(p.data, p.width, p.height, w, h, { scaleX: scale, scaleY: scale, shiftX }), new Uint8Array(w * h), 255);
  });

describe('createBicubicUpscaler', () => {
  it('reuses its float planes from frame to frame without touching the frames it has returned', async () => {
    const up = createBicubicUpscaler(2);
    await up.warmUp(format);
    const first = patterned(0, 7);
    const second = patterned(1, 29);
    const a = (await up.upscale(first)).frame;
    const aBytes = Uint8Array.from(a.bytes);
    const b = (await up.upscale(second)).frame;
    assert.deepEqual(a.bytes, aBytes, 'the first output changed when the second frame was upscaled');
    assert.notEqual(a.bytes.buffer, b.bytes.buffer);
    a.planes.forEach((p, i) => assert.deepEqual(p.data, expected(first, 2)[i]));
    b.planes.forEach((p, i) => assert.deepEqual(p.data, expected(second, 2)[i]));
    assert.deepEqual([b.format.width, b.format.height, b.index], [80, 44, 1]);
  });

  it('a frame of another size after the warm-up is upscaled as well', async () => {
    const up = createBicubicUpscaler(3);
    await up.warmUp(format);
    const f = allocateFrame(2, 80, { width: 16, height: 10, pixFmt: 'yuv420p' });
    for (let i = 0; i < f.bytes.length; i++) f.bytes[i] = (i * 11) & 255;
    const out = (await up.upscale(f)).frame;
    out.planes.forEach((p, i) => assert.deepEqual(p.data, expected(f, 3)[i]));
  });
});

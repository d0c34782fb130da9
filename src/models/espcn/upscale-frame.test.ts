import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateFrame } from '../../pipeline/frame.js';
import type { LumaModel } from '../../pipeline/ports.js';
import { createFrameUpscaler, lumaPeak } from './upscale-frame.js';

/** Nearest-neighbour "network", recording what it was fed. */
const nearest = (scale: number, fed: number[][]): LumaModel => ({
  scale,
  name: 'nearest',
  backend: 'test',
  run: async (luma, w, h) => {
    fed.push([...luma]);
    const out = new Float32Array(w * h * scale * scale);
    for (let y = 0; y < h * scale; y++) for (let x = 0; x < w * scale; x++) out[y * w * scale + x] = luma[Math.floor(y / scale) * w + Math.floor(x / scale)] as number;
    return out;
  },
  dispose: async () => {},
});

describe('createFrameUpscaler', () => {
  it('upscales Y by the model and 4:2:0 chroma to the right (odd) sizes', async () => {
    const fed: number[][] = [];
    const up = createFrameUpscaler(nearest(3, fed));
    const frame = allocateFrame(7, 280, { width: 5, height: 3, pixFmt: 'yuv420p' });
    frame.planes[0].data.fill(100);
    frame.planes[1].data.fill(90);
    frame.planes[2].data.fill(160);
    const { frame: out } = await up.upscale(frame);
    assert.deepEqual([out.index, out.ptsMs, out.format.width, out.format.height], [7, 280, 15, 9]);
    assert.deepEqual(
      out.planes.map((p) => [p.width, p.height]),
      [
        [15, 9],
        [8, 5],
        [8, 5],
      ],
    );
    assert.ok(out.planes[0].data.every((v) => v === 100));
    assert.ok(out.planes[1].data.every((v) => v === 90));
    assert.ok(out.planes[2].data.every((v) => v === 160));
    assert.ok(Math.abs((fed[0]?.[0] ?? 0) - 100 / 255) < 1e-6);
  });

  it('feeds 10-bit luma as Y/1020 so studio levels match the 8-bit training data, and clamps to 1023', async () => {
    const fed: number[][] = [];
    const up = createFrameUpscaler(nearest(2, fed));
    const frame = allocateFrame(0, 0, { width: 2, height: 2, pixFmt: 'yuv420p10le' });
    frame.planes[0].data.set([64, 940, 1023, 512]);
    const { frame: out } = await up.upscale(frame);
    assert.equal(lumaPeak(10), 1020);
    assert.deepEqual(fed[0]?.map((v) => Math.round(v * 255 * 1000) / 1000), [16, 235, 255.75, 128]);
    assert.equal(out.format.pixFmt, 'yuv420p10le');
    assert.ok(out.planes[0].data instanceof Uint16Array);
    assert.deepEqual([...out.planes[0].data.subarray(0, 4)], [64, 64, 940, 940]);
    assert.equal(Math.max(...out.planes[0].data), 1023);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { realLuma } from '../../../test/helpers/real-luma.js';
import { quantize } from '../../image/resize.js';
import { allocateFrame } from '../../pipeline/frame.js';
import type { LumaModel } from '../../pipeline/ports.js';
import { createFrameUpscaler } from '../espcn/upscale-frame.js';
import { readOnnxGraph } from '../espcn/read-onnx-weights.js';
import { findModel, MODEL_FAMILIES, trainedScales } from '../registry.js';
import { withByteIo } from './byte-io-graph.js';
import { loadOnnxLuma } from './onnxruntime.js';

/** Every shipped model whose metadata says its output lies on the 8-bit grid. */
const byteModels = MODEL_FAMILIES.flatMap((f) => trainedScales(f).map((s) => findModel(f, s))).filter((e) => e.meta.io8 === true);

/** Real 8-bit luma: the clip's samples, as a frame carries them. */
const realBytes = (w: number, h: number): Uint8Array => quantize(realLuma(w, h), new Uint8Array(w * h), 255, 255);

describe('withByteIo', () => {
  it('puts a DequantizeLinear before the graph and a QuantizeLinear after it, and keeps the rest', () => {
    const file = readFileSync(findModel('qsr', 2).path);
    const before = readOnnxGraph(file);
    const after = readOnnxGraph(withByteIo(file));
    assert.deepEqual(after.ops, ['DequantizeLinear', ...before.ops, 'QuantizeLinear']);
    assert.deepEqual(after.nodes[0]?.inputs[0], 'y_u8');
    assert.deepEqual(after.nodes.at(-1)?.outputs, ['y_up_u8']);
    assert.deepEqual([...after.weights.keys()].sort(), [...before.weights.keys(), '__srvid_u8_step'].sort());
  });

  it('refuses a graph that does not read one float plane (a recurrent one)', () => {
    assert.throws(() => withByteIo(readFileSync(findModel('rvsr', 2).path)), /4 inputs and 2 outputs/);
  });

  it('is claimed by the int8 chains, and only by them', () => {
    assert.deepEqual(byteModels.map((e) => e.name).sort(), ['qsr-x2', 'sesr-int8-x2', 'sesr-int8-x3', 'sesr-int8-x4']);
  });

  for (const entry of byteModels) {
    it(`${entry.name}: on 8-bit planes gives exactly the levels of the float graph rounded, at even and odd sizes`, async () => {
      const scale = entry.meta.scale as number;
      const load = { path: entry.path, name: entry.name, scale, threads: 1 };
      const [float, bytes] = (await Promise.all([loadOnnxLuma(load), loadOnnxLuma({ ...load, io8: true })])) as [LumaModel, LumaModel];
      try {
        assert.ok(bytes.run8 && !float.run8);
        for (const [w, h] of [
          [96, 64],
          [61, 37],
        ] as const) {
          const plane = realBytes(w, h);
          const expected = quantize(await float.run(Float32Array.from(plane, (v) => v / 255), w, h), new Uint8Array(w * h * scale * scale), 255, 255);
          const got = await bytes.run8(plane, w, h);
          let differ = 0;
          for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) differ++;
          assert.equal(got.length, expected.length);
          assert.equal(differ, 0, `${w}x${h}: ${differ} of ${got.length} samples differ`);
        }
        // Floats (a 10-bit frame, an image) still go through the float graph, unrounded.
        const luma = realLuma(40, 33);
        assert.deepEqual(await bytes.run(luma, 40, 33), await float.run(luma, 40, 33));
      } finally {
        await Promise.all([float.dispose(), bytes.dispose()]);
      }
    });
  }

  it('closes both graphs: the byte one and the float one opened for floats', async () => {
    const entry = findModel('qsr', 2);
    const bytes = await loadOnnxLuma({ path: entry.path, name: entry.name, scale: 2, threads: 1, io8: true });
    await bytes.run(realLuma(16, 16), 16, 16); // opens the float graph
    await bytes.dispose();
    await assert.rejects(bytes.run8!(realBytes(16, 16), 16, 16));
    await assert.rejects(bytes.run(realLuma(16, 16), 16, 16));
  });

  it('gives the same frames through the frame upscaler, whole and in strips', async () => {
    const entry = findModel('qsr', 2);
    const load = { path: entry.path, name: entry.name, scale: 2, threads: 1 };
    const [float, bytes] = (await Promise.all([loadOnnxLuma(load), loadOnnxLuma({ ...load, io8: true })])) as [LumaModel, LumaModel];
    try {
      const [w, h] = [96, 70];
      const frame = allocateFrame(0, 0, { width: w, height: h, pixFmt: 'yuv420p' });
      frame.planes[0].data.set(realBytes(w, h));
      frame.planes[1].data.fill(100);
      frame.planes[2].data.fill(150);
      for (const maxPixels of [w * h, 96 * 40]) {
        const tiling = { maxPixels, overlap: 14, align: 2 };
        const a = await createFrameUpscaler(float, tiling).upscale(frame);
        const b = await createFrameUpscaler(bytes, tiling, { reuseBuffers: true }).upscale(frame);
        assert.deepEqual(b.frame.bytes, a.frame.bytes, `tile ${maxPixels}`);
      }
      // A 10-bit frame keeps its depth: it goes through the float graph, as with the plain model.
      const deep = allocateFrame(0, 0, { width: w, height: h, pixFmt: 'yuv420p10le' });
      deep.planes[0].data.set(Array.from(realBytes(w, h), (v, i) => v * 4 + (i % 4)));
      const a = await createFrameUpscaler(float).upscale(deep);
      const b = await createFrameUpscaler(bytes).upscale(deep);
      assert.deepEqual(b.frame.bytes, a.frame.bytes);
    } finally {
      await Promise.all([float.dispose(), bytes.dispose()]);
    }
  });
});

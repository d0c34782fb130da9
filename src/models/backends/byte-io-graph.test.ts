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

/** Protobuf writing, just enough for a hand-made ModelProto: (field, varint) and (field, bytes) pairs. */
const enc = (...parts: readonly (readonly [number, number | string | Uint8Array])[]): Uint8Array => {
  const out: number[] = [];
  const varint = (n: number): void => {
    for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
    out.push(n);
  };
  for (const [field, v] of parts) {
    if (typeof v === 'number') {
      varint(field * 8);
      varint(v);
    } else {
      const body = typeof v === 'string' ? new TextEncoder().encode(v) : v;
      varint(field * 8 + 2);
      varint(body.length);
      out.push(...body);
    }
  }
  return Uint8Array.from(out);
};
/** ValueInfoProto of a float tensor [1, 1, h, w] with symbolic h and w. */
const floatInfo = (name: string): Uint8Array =>
  enc([1, name], [2, enc([1, enc([1, 1], [2, enc([1, enc([1, 1])], [1, enc([1, 1])], [1, enc([2, 'h'])], [1, enc([2, 'w'])])])])]);
/** ValueInfoProto of a float scalar. */
const scalarInfo = (name: string): Uint8Array => enc([1, name], [2, enc([1, enc([1, 1], [2, new Uint8Array()])])]);
/** A float scalar initializer. */
const scalarInit = (name: string, v: number): Uint8Array => {
  const raw = new Uint8Array(4);
  new DataView(raw.buffer).setFloat32(0, v, true); // raw_data is little-endian
  return enc([2, 1], [8, name], [9, raw]);
};

/**
 * y = x * k + b as an older exporter writes it: the weights listed among the graph's inputs as well as among its
 * initializers, a value_info for the intermediate tensor, opset 13.
 */
const oldStyleModel = (k: number, b: number): Uint8Array => {
  const graph = enc(
    [1, enc([1, 'x'], [1, 'k'], [2, 't'], [4, 'Mul'])],
    [1, enc([1, 't'], [1, 'b'], [2, 'y'], [4, 'Add'])],
    [2, 'old-style'],
    [5, scalarInit('k', k)],
    [5, scalarInit('b', b)],
    [11, scalarInfo('k')],
    [11, floatInfo('x')],
    [11, scalarInfo('b')],
    [12, floatInfo('y')],
    [13, floatInfo('t')],
  );
  return enc([1, 7], [8, enc([1, ''], [2, 13])], [7, graph]);
};

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

  it('rewrites a hand-made graph that lists its weights among its inputs and has value_info, rounding to the nearest level', async () => {
    const { InferenceSession, Tensor } = await import('onnxruntime-node');
    // Outputs x 255 = 3.25 x - 25.4: fractions .1, .35, .6 and .85, so rounding and truncating differ, and none is
    // halfway between two levels (where QuantizeLinear rounds half to even).
    const [k, bias] = [3.25, -0.1 + 0.1 / 255];
    const session = await InferenceSession.create(withByteIo(oldStyleModel(k, bias)));
    try {
      assert.deepEqual(session.inputNames.filter((n) => !['k', 'b'].includes(n)), ['x_u8']);
      assert.deepEqual(session.outputNames, ['y_u8']);
      const x = Uint8Array.from({ length: 256 }, (_, i) => i);
      const { y_u8: y } = await session.run({ x_u8: new Tensor('uint8', x, [1, 1, 16, 16]) });
      assert.equal(y?.type, 'uint8');
      // Float32 arithmetic, as the graph does it: 0 under zero, 255 over one, the nearest level between.
      const expected = Array.from(x, (v) => Math.min(255, Math.max(0, Math.round((Math.fround(Math.fround(Math.fround(v * Math.fround(1 / 255)) * k) + Math.fround(bias)) * 255)))));
      assert.deepEqual(Array.from(y?.data as Uint8Array), expected);
      assert.ok(expected.includes(0) && expected.includes(255) && expected.some((v) => v > 0 && v < 255));
      // and a rewrite that truncated instead of rounding would not pass
      assert.ok(expected.some((v, i) => v > 0 && v < 255 && v !== Math.floor(i * k - 25.4)));
    } finally {
      await session.release();
    }
  });

  it('refuses a graph whose names clash with its own, or that reads bytes already', () => {
    const withX8 = enc([1, 7], [8, enc([1, ''], [2, 13])], [7, enc([1, enc([1, 'x'], [2, 'x_u8'], [4, 'Relu'])], [1, enc([1, 'x_u8'], [2, 'y'], [4, 'Relu'])], [11, floatInfo('x')], [12, floatInfo('y')])]);
    assert.throws(() => withByteIo(withX8), /already has a tensor named x_u8/);
    assert.throws(() => withByteIo(withByteIo(oldStyleModel(1, 0))), /does not read and write float planes/);
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

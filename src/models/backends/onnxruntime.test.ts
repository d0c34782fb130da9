import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../errors.js';
import type { LumaModel } from '../../pipeline/ports.js';
import { findModel, trainedScales } from '../registry.js';
import { realLuma } from '../../../test/helpers/real-luma.js';
import { loadOnnxLuma } from './onnxruntime.js';

describe('onnxruntime ESPCN loader', () => {
  for (const scale of [2, 3, 4]) {
    it(`runs the shipped x${scale} model on an odd-sized plane`, async () => {
      const entry = findModel('espcn', scale);
      assert.equal(entry.meta.scale, scale);
      const model = await loadOnnxLuma({ path: entry.path, name: entry.name, scale, threads: 1 });
      try {
        const [w, h] = [17, 13];
        const flat = new Float32Array(w * h).fill(0.5);
        const out = await model.run(flat, w, h);
        assert.equal(out.length, w * h * scale * scale);
        // A flat grey plane stays (nearly) flat grey away from the zero-padded borders.
        const W = w * scale;
        for (let y = 5 * scale; y < (h - 5) * scale; y++) {
          for (let x = 5 * scale; x < (w - 5) * scale; x++) assert.ok(Math.abs((out[y * W + x] as number) - 0.5) < 0.02);
        }
      } finally {
        await model.dispose();
      }
    });
  }

  for (const scale of trainedScales('sesr-int8')) {
    it(`runs sesr-int8 x${scale} within a level or two of float sesr on real footage, at even and odd sizes`, async () => {
      const [float, int8] = (await Promise.all(
        ['sesr', 'sesr-int8'].map((f) => findModel(f, scale)).map((e) => loadOnnxLuma({ path: e.path, name: e.name, scale, threads: 1 })),
      )) as [LumaModel, LumaModel];
      try {
        for (const [w, h] of [
          [96, 64],
          [61, 37],
          [40, 33],
        ] as const) {
          // Real luma on the 8-bit grid, as srvid feeds it.
          const luma = realLuma(w, h).map((v) => Math.round(v * 255) / 255);
          const [a, b] = [await float.run(luma, w, h), await int8.run(luma, w, h)];
          assert.equal(b.length, w * h * scale * scale, `${w}x${h}: the output is the input's size times the scale`);
          let sq = 0;
          let worst = 0;
          for (let i = 0; i < a.length; i++) {
            const d = Math.abs((a[i] as number) - (b[i] as number)) * 255;
            sq += d * d;
            worst = Math.max(worst, d);
          }
          const rms = Math.sqrt(sq / a.length);
          // 8-bit weights and activations: under a level on average (0.4-0.9 measured), never a visible error.
          assert.ok(rms < 1.5 && worst < 12, `${w}x${h} x${scale}: RMS ${rms.toFixed(3)} levels, worst ${worst.toFixed(1)}`);
        }
      } finally {
        await Promise.all([float.dispose(), int8.dispose()]);
      }
    });
  }

  it('runs qsr x2 (its layers on the 2x2 grid) at odd sizes exactly as on the plane padded to even ones', async () => {
    const entry = findModel('qsr', 2);
    const model = await loadOnnxLuma({ path: entry.path, name: entry.name, scale: 2, threads: 1 });
    try {
      for (const [w, h] of [
        [61, 37],
        [40, 33],
        [33, 40],
      ] as const) {
        const luma = realLuma(w, h).map((v) => Math.round(v * 255) / 255);
        const out = await model.run(luma, w, h);
        assert.equal(out.length, w * h * 4, `${w}x${h}: the output is the input's size times the scale`);
        // The same plane with its last row and column repeated to even sides, as the graph pads it itself.
        const [W, H] = [w + (w % 2), h + (h % 2)];
        const even = new Float32Array(W * H);
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) even[y * W + x] = luma[Math.min(y, h - 1) * w + Math.min(x, w - 1)] as number;
        const ref = await model.run(even, W, H);
        let worst = 0;
        for (let y = 0; y < 2 * h; y++)
          for (let x = 0; x < 2 * w; x++) worst = Math.max(worst, Math.abs((out[y * 2 * w + x] as number) - (ref[y * 2 * W + x] as number)));
        assert.ok(worst < 1e-6, `${w}x${h}: differs from the even plane's output by ${worst}`);
        // And it upscales: far from a flat or shifted picture (a level or two from bilinear-like smoothness).
        let sq = 0;
        for (let y = 0; y < 2 * h; y++)
          for (let x = 0; x < 2 * w; x++) {
            const d = ((out[y * 2 * w + x] as number) - (luma[(y >> 1) * w + (x >> 1)] as number)) * 255;
            sq += d * d;
          }
        assert.ok(Math.sqrt(sq / (4 * w * h)) < 12, `${w}x${h}: far from its input's pixels`);
      }
    } finally {
      await model.dispose();
    }
  });

  it('says which file is missing', async () => {
    await assert.rejects(
      loadOnnxLuma({ path: '/nonexistent/m.onnx', name: 'm', scale: 2, threads: 1 }),
      (e: unknown) => e instanceof ModelError && /m\.onnx is missing/.test(e.message),
    );
  });

  it('rejects unknown models and scales with the choices', () => {
    assert.throws(() => findModel('edsr', 2), /available: rvsr, sesr, sesr-int8, qsr, espcn, espcn-int8, espcn-light, srcnn, vdsr, srresnet, srgan, unet/);
    assert.throws(() => findModel('espcn', 5), /use 2, 3 or 4/);
  });
});

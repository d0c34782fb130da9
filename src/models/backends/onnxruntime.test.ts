import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../errors.js';
import { findModel } from '../registry.js';
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

  it('says which file is missing', async () => {
    await assert.rejects(
      loadOnnxLuma({ path: '/nonexistent/m.onnx', name: 'm', scale: 2, threads: 1 }),
      (e: unknown) => e instanceof ModelError && /m\.onnx is missing/.test(e.message),
    );
  });

  it('rejects unknown models and scales with the choices', () => {
    assert.throws(() => findModel('srgan', 2), /available: sesr, espcn, espcn-int8, espcn-light/);
    assert.throws(() => findModel('espcn', 5), /use 2, 3 or 4/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../errors.js';
import { realLuma } from '../../../test/helpers/real-luma.js';
import { findModel, trainedScales } from '../registry.js';
import { loadOnnxLuma } from './onnxruntime.js';
import { explainTfjsFailure, loadTfjs, loadTfjsLuma, oihwToHwio } from './tfjs.js';

describe('tfjs backend', () => {
  it('OIHW → HWIO moves every weight to its place', () => {
    const t = { name: 'w', dims: [2, 3, 1, 2], data: Float32Array.from({ length: 12 }, (_, i) => i) };
    const hwio = oihwToHwio(t);
    // element (o, i, y, x) = ((o*3 + i)*1 + y)*2 + x lands at ((y*2 + x)*3 + i)*2 + o
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let x = 0; x < 2; x++) assert.equal(hwio[(x * 3 + i) * 2 + o], (o * 3 + i) * 2 + x);
  });

  for (const [family, scale] of (['espcn', 'sesr'] as const).flatMap((f) => trainedScales(f).map((s) => [f, s] as const))) {
    it(`equals onnxruntime within 1e-4 on a real frame: ${family} x${scale}`, async (t) => {
      const entry = findModel(family, scale);
      const runtime = await loadTfjs('tfjs-wasm');
      const tfjs = await loadTfjsLuma({ path: entry.path, name: entry.name, scale, runtime });
      const onnx = await loadOnnxLuma({ path: entry.path, name: entry.name, scale, threads: 1 });
      const luma = realLuma();
      const [a, b] = [await tfjs.run(luma, 192, 144), await onnx.run(luma, 192, 144)];
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
      assert.equal(a.length, 192 * 144 * scale * scale);
      t.diagnostic(`${family} x${scale}: max |tfjs-wasm - onnxruntime| = ${maxDiff.toExponential(2)} over ${a.length} outputs`);
      assert.ok(maxDiff < 1e-4, `max |tfjs - onnx| = ${maxDiff}`);
      await tfjs.dispose();
      await onnx.dispose();
    });
  }

  it('leaks no tensor over 100 frames, and frees its weights on dispose', async () => {
    const entry = findModel('espcn', 2);
    const runtime = await loadTfjs('tfjs-wasm');
    const before = runtime.tf.memory().numTensors;
    const model = await loadTfjsLuma({ path: entry.path, name: entry.name, scale: 2, runtime });
    const loaded = runtime.tf.memory();
    assert.equal(loaded.numTensors - before, 6); // 3 weights + 3 biases
    const luma = realLuma(32, 24);
    for (let i = 0; i < 100; i++) await model.run(luma, 32, 24);
    assert.equal(runtime.tf.memory().numTensors, loaded.numTensors);
    assert.equal(runtime.tf.memory().numBytes, loaded.numBytes);
    await model.dispose();
    assert.equal(runtime.tf.memory().numTensors, before);
    await assert.rejects(model.run(luma, 32, 24), ModelError);
  });

  it('explains a missing native package with what to install', () => {
    const msg = explainTfjsFailure('tfjs-node-gpu', new Error("Cannot find package '@tensorflow/tfjs-node-gpu' imported from x"));
    assert.match(msg, /@tensorflow\/tfjs-node-gpu is not installed.*npm install @tensorflow\/tfjs-node-gpu.*CUDA/);
  });

  it('refuses an int8 model in one line that says what runs it', async () => {
    const runtime = await loadTfjs('tfjs-wasm');
    const entry = findModel('sesr-int8', 2);
    await assert.rejects(
      loadTfjsLuma({ path: entry.path, name: entry.name, scale: 2, runtime }),
      (e: unknown) => e instanceof ModelError && /8-bit integers, which only onnxruntime does; use --backend onnx/.test(e.message) && !e.message.includes('\n'),
    );
  });

  it('refuses an ONNX graph that is not ESPCN', async () => {
    const runtime = await loadTfjs('tfjs-wasm');
    await assert.rejects(loadTfjsLuma({ path: new URL('../../../package.json', import.meta.url).pathname, name: 'x', scale: 2, runtime }), ModelError);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../../errors.js';
import { allocateFrame, type Frame } from '../../pipeline/frame.js';
import { loadOnnxLuma } from '../backends/onnxruntime.js';
import { createFrameUpscaler, DEFAULT_OVERLAP } from '../espcn/upscale-frame.js';
import { findModel } from '../registry.js';
import { createWorkerUpscaler } from './worker-upscaler.js';

const frameOf = (index: number, w: number, h: number): Frame => {
  const f = allocateFrame(index, index * 40, { width: w, height: h, pixFmt: 'yuv420p' });
  for (const [p, plane] of f.planes.entries()) {
    for (let i = 0; i < plane.data.length; i++) plane.data[i] = (i * (7 + p) + index * 13 + ((i * i) % 23)) % 256;
  }
  return f;
};

describe('createWorkerUpscaler', () => {
  it('gives the same frames as the in-thread upscaler, several at once, and leaves the input intact', async () => {
    const entry = findModel('espcn', 2);
    const tiling = { maxPixels: 1 << 20, overlap: DEFAULT_OVERLAP };
    const pool = await createWorkerUpscaler({ path: entry.path, name: entry.name, scale: 2, workers: 2, threadsPerWorker: 1, tiling });
    const local = createFrameUpscaler(await loadOnnxLuma({ path: entry.path, name: entry.name, scale: 2, threads: 1 }), tiling);
    try {
      assert.equal(pool.parallelism, 2);
      assert.deepEqual(pool.runtime, { model: 'espcn-x2', backend: 'onnxruntime-cpu', workers: 2, threadsPerWorker: 1 });
      const frames = [0, 1, 2, 3, 4].map((i) => frameOf(i, 40, 30));
      const before = frames.map((f) => f.bytes.slice());
      const results = await Promise.all(frames.map((f) => pool.upscale(f)));
      for (const [i, r] of results.entries()) {
        const f = frames[i] as Frame;
        assert.deepEqual(f.bytes, before[i], 'the source frame is not handed over');
        assert.deepEqual([r.frame.index, r.frame.ptsMs, r.frame.format.width, r.frame.format.height], [i, i * 40, 80, 60]);
        const expected = await local.upscale(f);
        assert.deepEqual(r.frame.bytes, expected.frame.bytes);
        assert.ok(r.times.inferenceMs > 0 && r.times.chromaMs >= 0 && r.times.convertMs >= 0);
      }
    } finally {
      await pool.dispose();
      await local.dispose();
    }
  });

  for (const fault of ['throw', 'exit'] as const) {
    it(`a worker that ${fault === 'throw' ? 'throws' : 'exits'} mid-run fails its frame and every later one with one ModelError; dispose still ends`, async () => {
      const entry = findModel('espcn', 2);
      // The injected fault (WorkerConfig.fault): the worker handed frame 3 fails.
      const pool = await createWorkerUpscaler({
        path: entry.path,
        name: entry.name,
        scale: 2,
        workers: 2,
        threadsPerWorker: 1,
        tiling: { maxPixels: 1 << 20, overlap: DEFAULT_OVERLAP },
        fault,
      });
      try {
        const why = fault === 'throw' ? /upscale worker thread failed: injected fault on frame 3/ : /upscale worker thread ended .*exit code 1/;
        await assert.rejects(pool.upscale(frameOf(3, 40, 30)), (e: unknown) => e instanceof ModelError && why.test(e.message));
        await assert.rejects(pool.upscale(frameOf(4, 40, 30)), (e: unknown) => e instanceof ModelError && why.test(e.message));
      } finally {
        await pool.dispose(); // the dead thread sends no second 'exit': this must not wait for one
      }
    });
  }

  it('fails to start with a ModelError naming the file when the model cannot load', async () => {
    await assert.rejects(
      createWorkerUpscaler({ path: '/nonexistent/m.onnx', name: 'm', scale: 2, workers: 2, threadsPerWorker: 1, tiling: { maxPixels: 1 << 20, overlap: 4 } }),
      (e: unknown) => e instanceof ModelError && /m\.onnx is missing/.test(e.message),
    );
  });
});

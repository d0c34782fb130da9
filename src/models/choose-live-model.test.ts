import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../errors.js';
import type { Upscaler } from '../pipeline/ports.js';
import { chooseLiveModel, measureSpeed } from './choose-live-model.js';
import { loadVideoUpscaler } from './load-upscaler.js';
import { resolveModel } from './resolve-model.js';

const AUTO = { threads: 0, backend: 'auto', device: 'auto' } as const;

/** The shipped models as a run loads them, one worker each. */
const load = (family: string): Promise<Upscaler> => loadVideoUpscaler({ ...AUTO, scale: 2, model: family, workers: 1 }, resolveModel({ ...AUTO, scale: 2, model: family }));

/** A loaded model that takes `ms` per frame (frames side by side): far too slow for the input below. */
const slow = (ms: number): Upscaler & { disposed: boolean } => ({
  scale: 2,
  runtime: { model: 'sesr-x2', backend: 'test', workers: 1, threadsPerWorker: null },
  parallelism: 1,
  disposed: false,
  upscale: (frame) => new Promise((r) => setTimeout(() => r({ frame, times: { convertMs: 0, inferenceMs: 0, chromaMs: 0 } }), ms)),
  async dispose() {
    this.disposed = true;
  },
});

// 64x64 frames at 4 fps: any shipped model keeps up; the stand-in above (two frames a second) does not.
const FORMAT = { width: 64, height: 64, pixFmt: 'yuv420p' } as const;

describe('chooseLiveModel', () => {
  it("keeps a named model that falls short without loading the others, and says what happens to the frames beyond its speed", async () => {
    for (const [whenBehind, beyond] of [
      ['bicubic', 'frames beyond it go to bicubic'],
      ['drop', 'frames beyond it are dropped'],
    ] as const) {
      const loaded = slow(1000);
      // Its speed as measured before the input opened: two 64x64 frames a second.
      const choice = await chooseLiveModel(
        { scale: 2, model: 'sesr', whenBehind, load: () => Promise.reject(new Error('no other model is loaded for a named one')) },
        loaded,
        { pixelsPerSecond: 2 * 64 * 64 },
        FORMAT,
        4,
      );
      assert.equal(choice.upscaler, loaded, 'the chosen model is kept');
      assert.match(
        choice.warning ?? '',
        new RegExp(
          `^sesr-x2 \\(about 2 fps here\\) cannot keep up with 64x64 at 4\\.00 fps: ${beyond}; --model auto measures the others at start and takes the best that keeps up$`,
        ),
      );
      assert.equal(loaded.disposed, false);
    }
  });

  it('auto measures the others and takes the best-quality one that keeps up, disposing of the loaded one', async () => {
    const loaded = slow(1000);
    const choice = await chooseLiveModel({ scale: 2, model: 'auto', load }, loaded, { pixelsPerSecond: 2 * 64 * 64 }, FORMAT, 4);
    try {
      assert.notEqual(choice.upscaler, loaded);
      assert.equal(choice.warning, null);
      assert.ok(choice.fps !== null && choice.fps >= 4.4, `${choice.fps} fps`);
      assert.equal(loaded.disposed, true);
    } finally {
      await choice.upscaler.dispose();
    }
  });

  it('auto passes over the recurrent and offline models and any the runtime cannot load, and takes the next', async () => {
    const loaded = slow(1000);
    const asked: string[] = [];
    const choice = await chooseLiveModel(
      {
        scale: 2,
        model: 'auto',
        load: async (family) => {
          asked.push(family);
          if (family === 'qsr' || family === 'sesr-int8') throw new UsageError(`${family}-x2 runs in 8-bit integers, which only onnxruntime does`);
          return load(family);
        },
      },
      loaded,
      { pixelsPerSecond: 2 * 64 * 64 },
      FORMAT,
      4,
    );
    try {
      // The loaded stand-in is 'sesr': the next are sesr-int8 and qsr (both refused), then espcn, which keeps up.
      assert.deepEqual(asked, ['sesr-int8', 'qsr', 'espcn']);
      assert.equal(choice.upscaler.runtime.model, 'espcn-x2');
      assert.equal(choice.warning, null);
    } finally {
      await choice.upscaler.dispose();
    }
  });

  it('auto keeps the fastest model measured, the loaded one included, when none keeps up, and disposes of the others', async () => {
    // The stand-ins: the loaded model at 20 ms a frame, every other at 100 or 200 ms; the input at 1000 fps.
    const made: (Upscaler & { disposed: boolean })[] = [];
    const stand = (ms: number, model: string): Upscaler & { disposed: boolean } => {
      const u = { ...slow(ms), runtime: { model, backend: 'test', workers: 1, threadsPerWorker: null } };
      made.push(u);
      return u;
    };
    const loaded = stand(20, 'qsr-x2');
    const run = async (loadedFps: number) =>
      chooseLiveModel(
        { scale: 2, model: 'auto', load: async (family) => stand(family === 'espcn-light' ? 100 : 200, `${family}-x2`) },
        loaded,
        { pixelsPerSecond: loadedFps * 64 * 64 },
        FORMAT,
        1000,
      );
    const kept = await run(50);
    assert.equal(kept.upscaler, loaded);
    assert.match(kept.warning ?? '', /^no shipped model keeps up with 64x64 at 1000\.00 fps here; qsr-x2 \(about 50 fps here\) is the fastest/);
    assert.ok(made.filter((u) => u !== loaded).every((u) => u.disposed) && !loaded.disposed);
    // A loaded model measured slower than espcn-light: espcn-light is taken, everything else disposed of.
    made.length = 0;
    made.push(loaded);
    const swapped = await run(1);
    assert.equal(swapped.upscaler.runtime.model, 'espcn-light-x2');
    assert.ok(made.filter((u) => u !== swapped.upscaler).every((u) => u.disposed));
  });

  it('measures the speed in input pixels a second, before the input opens', async () => {
    const speed = await measureSpeed(slow(50));
    // Two 640x360 frames at once, 50 ms each: at most 40 frames a second (41 with the timer's millisecond).
    const fps = speed.pixelsPerSecond / (640 * 360);
    assert.ok(fps > 20 && fps <= 2000 / 49, `${fps.toFixed(1)} fps`); // a timer may fire up to a millisecond early
  });

  it('takes the fastest of its timed batches, and stops after two of them once real frames wait', async () => {
    // A clock the stand-in moves: each batch (two frames, one worker) takes the time listed, the warm-up first.
    const batchMs = [500, 400, 100, 50];
    const measure = async (yieldTo: () => boolean) => {
      let clock = 0;
      let calls = 0;
      const upscaler: Upscaler = {
        ...slow(0),
        upscale: async (frame) => {
          if (++calls % 2 === 0) clock += batchMs[calls / 2 - 1] ?? 0;
          return { frame, times: { convertMs: 0, inferenceMs: 0, chromaMs: 0 } };
        },
      };
      const speed = await measureSpeed(upscaler, { yieldTo, now: () => clock });
      return { calls, fps: speed.pixelsPerSecond / (640 * 360) };
    };
    // Nothing waiting: the warm-up and three timed batches; the fastest (50 ms for two frames) is the reading.
    assert.deepEqual(await measure(() => false), { calls: 8, fps: 40 });
    // Frames waiting from the start: two timed batches still, the faster of them read.
    assert.deepEqual(await measure(() => true), { calls: 6, fps: 20 });
  });
});

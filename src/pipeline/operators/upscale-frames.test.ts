import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delay, lastValueFrom, map, of, tap, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { allocateFrame, type Frame } from '../frame.js';
import type { Upscaler } from '../ports.js';
import { ensureOrder } from './ensure-order.js';
import { upscaleFrames } from './upscale-frames.js';

const format = { width: 2, height: 2, pixFmt: 'yuv420p' as const };
const frames = [0, 1, 2, 3].map((i) => allocateFrame(i, i * 40, format));
const [a, b, c, d] = frames as [Frame, Frame, Frame, Frame];

/**
 * A fake upscaler taking `ticks[i]` of virtual time for frame i. The port returns a Promise; mergeMap takes
 * any ObservableInput, so returning an Observable here lets the marble scheduler drive the real operator.
 */
const NO_TIMES = { convertMs: 0, inferenceMs: 0, chromaMs: 0 };

const timedUpscaler = (ticks: number[], counters: { active: number; peak: number }): Upscaler => ({
  scale: 1,
  runtime: { model: 'fake', backend: 'fake', workers: 1, threadsPerWorker: null },
  parallelism: 1,
  upscale: ((f: Frame) => {
    counters.active++;
    counters.peak = Math.max(counters.peak, counters.active);
    return of({ frame: f, times: NO_TIMES }).pipe(
      delay(ticks[f.index] as number),
      tap(() => counters.active--),
    );
  }) as unknown as Upscaler['upscale'],
  dispose: async () => {},
});

describe('upscaleFrames (marbles)', () => {
  it('runs at most `concurrent` frames at once; slow frames are overtaken', () => {
    const counters = { active: 0, peak: 0 };
    new TestScheduler((x, y) => assert.deepEqual(x, y)).run(({ cold, expectObservable }) => {
      // Concurrency 2: frame 0 (5 ticks) and 1 (1 tick) start at 0; 2 starts at 1, 3 at 2; 0 ends at 5.
      const out = cold('(abcd|)', { a, b, c, d }).pipe(
        upscaleFrames(timedUpscaler([5, 1, 1, 1], counters), 2),
        map((u) => u.frame),
      );
      expectObservable(out).toBe('-bcd-(a|)', { a, b, c, d });
    });
    assert.equal(counters.peak, 2);
  });

  it('with ensureOrder, output keeps input order under concurrency', () => {
    new TestScheduler((x, y) => assert.deepEqual(x, y)).run(({ cold, expectObservable }) => {
      const counters = { active: 0, peak: 0 };
      const out = cold('(abcd|)', { a, b, c, d }).pipe(
        upscaleFrames(timedUpscaler([3, 1, 8, 1], counters), 3),
        map((u) => u.frame),
        ensureOrder((f) => f.index),
      );
      // 0 ends at 3, 1 at 1, 2 at 8, 3 starts at 1 and ends at 2: released as 0,1 at 3 then 2,3 at 8.
      expectObservable(out).toBe('---(ab)-(cd|)', { a, b, c, d });
    });
  });

  it('gives each frame the time its model slot waited for the decoder', () => {
    const scheduler = new TestScheduler((x, y) => assert.deepEqual(x, y));
    scheduler.run(({ cold, expectObservable }) => {
      const counters = { active: 0, peak: 0 };
      // One slot, 2 ticks a frame: a arrives at 0 (slot free since 0), b at 2 (slot freed at 2), c at 7 (freed at 4).
      const out = cold('a-b----c|', { a, b, c }).pipe(
        upscaleFrames(timedUpscaler([2, 2, 2, 2], counters), 1, () => scheduler.now()),
        map((u) => u.decodeWaitMs),
      );
      expectObservable(out).toBe('--x-y----(z|)', { x: 0, y: 0, z: 3 });
    });
  });

  it('calls the real Promise-returning port once per frame', async () => {
    const seen: number[] = [];
    const upscaler: Upscaler = {
      scale: 2,
      runtime: { model: 'fake', backend: 'fake', workers: 1, threadsPerWorker: null },
      parallelism: 1,
      upscale: async (f) => {
        seen.push(f.index);
        return { frame: allocateFrame(f.index, f.ptsMs, { ...format, width: 4, height: 4 }), times: NO_TIMES };
      },
      dispose: async () => {},
    };
    const out = await lastValueFrom(of(a, b, c).pipe(upscaleFrames(upscaler, 2), toArray()));
    assert.deepEqual(seen, [0, 1, 2]);
    assert.deepEqual(
      out.map((u) => u.frame.format.width),
      [4, 4, 4],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delay, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { allocateFrame, type Frame } from '../frame.js';
import type { Upscaler } from '../ports.js';
import { upscaleLive, type LivePolicy, type Route } from './upscale-live.js';

const format = { width: 2, height: 2, pixFmt: 'yuv420p' as const };
const NO_TIMES = { convertMs: 0, inferenceMs: 0, chromaMs: 0 };

/** A fake upscaler taking `ticks` of virtual time a frame (an Observable, so the marble scheduler drives it). */
const fake = (ticks: number): Upscaler => ({
  scale: 1,
  runtime: { model: 'fake', backend: 'fake', workers: 1, threadsPerWorker: null },
  parallelism: 1,
  upscale: ((f: Frame) => of({ frame: f, times: NO_TIMES }).pipe(delay(ticks))) as unknown as Upscaler['upscale'],
  dispose: async () => {},
});

/** Frames arriving one a tick (as a live decoder delivers them); which way each went. */
const routes = (networkTicks: number, policy: Partial<LivePolicy>, backlog = () => 0): Record<number, Route> => {
  const got: Record<number, Route> = {};
  const scheduler = new TestScheduler((x, y) => assert.deepEqual(x, y));
  scheduler.run(({ cold, flush }) => {
    const frames = Object.fromEntries([...'abcdefgh'].map((k, i) => [k, allocateFrame(i, i * 40, format)]));
    const full: LivePolicy = { whenBehind: 'bicubic', maxLatencyMs: 1000, maxBacklog: 100, ...policy };
    cold('abcdefgh|', frames)
      .pipe(upscaleLive(fake(networkTicks), fake(0), 2, full, backlog, () => scheduler.now()))
      .subscribe((u) => (got[u.frame.index] = u.route));
    flush();
  });
  return got;
};

describe('upscaleLive', () => {
  it('a network that keeps up takes every frame', () => {
    assert.deepEqual(Object.values(routes(1, {})), Array(8).fill('network'));
  });

  it('a slow network: at most `concurrent` frames wait for it, the rest go to bicubic; it gets frames again once idle', () => {
    // The network takes 3 ticks a frame, 2 at once; a frame arrives every tick: 0 and 1 fill the slots, 2 and 3
    // arrive while both are busy, and 4 and 5 find them free again (0 and 1 came back at ticks 3 and 4).
    assert.deepEqual(Object.values(routes(3, {})), [
      'network',
      'network',
      'fallback',
      'fallback',
      'network',
      'network',
      'fallback',
      'fallback',
    ]);
  });

  it('--when-behind drop leaves late frames out instead', () => {
    const r = routes(3, { whenBehind: 'drop' });
    assert.equal(r[2], 'drop');
    assert.ok(!Object.values(r).includes('fallback'));
  });

  it('a backlog over the cap drops frames whatever the policy', () => {
    assert.deepEqual(Object.values(routes(1, {}, () => 200)), Array(8).fill('drop'));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delay, lastValueFrom, of, Subject, tap, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { allocateFrame, type Frame } from '../frame.js';
import type { Upscaler } from '../ports.js';
import { BACKLOG_HARD_CAP, upscaleLive, type Backlog, type LiveItem, type LivePolicy, type Route } from './upscale-live.js';

const format = { width: 2, height: 2, pixFmt: 'yuv420p' as const };
const NO_TIMES = { convertMs: 0, inferenceMs: 0, chromaMs: 0 };

/**
 * A fake network: one frame at a time, `ticks` of virtual time each, later frames queued behind it (as a
 * worker's message queue does); an Observable, so the marble scheduler drives it.
 */
const fake = (ticks: number, now: () => number): Upscaler => {
  let freeAt = 0;
  return {
    scale: 1,
    runtime: { model: 'fake', backend: 'fake', workers: 1, threadsPerWorker: null },
    parallelism: 1,
    upscale: ((f: Frame) => {
      freeAt = Math.max(now(), freeAt) + ticks;
      return of({ frame: f, times: NO_TIMES }).pipe(delay(freeAt - now()));
    }) as unknown as Upscaler['upscale'],
    dispose: async () => {},
  };
};

/** Frames arriving one a tick (as a live decoder delivers them); which way each went. */
const routes = (networkTicks: number, policy: Partial<LivePolicy>, backlog = (): Backlog => ({ frames: 0, oldestMs: 0 })): Route[] => {
  const got: Record<number, Route> = {};
  const scheduler = new TestScheduler((x, y) => assert.deepEqual(x, y));
  scheduler.run(({ cold, flush }) => {
    const frames = Object.fromEntries([...'abcdefgh'].map((k, i) => [k, allocateFrame(i, i * 40, format)]));
    const full: LivePolicy = { whenBehind: 'bicubic', maxLatencyMs: 1000, maxBacklog: 100, ...policy };
    const now = (): number => scheduler.now();
    cold('abcdefgh|', frames)
      .pipe(upscaleLive(fake(networkTicks, now), fake(0, now), 2, full, backlog, now))
      .subscribe((u) => (got[u.frame.index] = u.route));
    flush();
  });
  return Object.values(got);
};

describe('upscaleLive', () => {
  it('a network that keeps up takes every frame', () => {
    assert.deepEqual(routes(1, {}), Array(8).fill('network'));
  });

  it('a slow network within the latency budget: frames wait for it instead of going to bicubic', () => {
    // 3 ticks a frame, a frame every tick: the last of 8 waits 21 ticks, within half of 60.
    assert.deepEqual(routes(3, { maxLatencyMs: 60, expectedFps: 1000 / 3 }), Array(8).fill('network'));
  });

  it('a slow network beyond the budget: a frame that would wait longer goes to bicubic; the network gets frames again as it catches up', () => {
    // 3 ticks a frame and a budget of 7 ticks (half of 14): a frame fits when at most one is ahead of it
    // (2 rounds, 6 ticks). Frames arrive every tick; a, b go in; c, d find two ahead; e finds one (a is back).
    assert.deepEqual(routes(3, { maxLatencyMs: 14, expectedFps: 1000 / 3 }), [
      'network',
      'network',
      'fallback',
      'fallback',
      'network',
      'fallback',
      'fallback',
      'network',
    ]);
  });

  it('without a measured speed, at most `concurrent` frames wait until the first is back', () => {
    assert.deepEqual(routes(3, { maxLatencyMs: 1000 }).slice(0, 3), ['network', 'network', 'fallback']);
  });

  it('--when-behind drop leaves late frames out instead', () => {
    const r = routes(3, { whenBehind: 'drop', maxLatencyMs: 14, expectedFps: 1000 / 3 });
    assert.equal(r[2], 'drop');
    assert.ok(!Object.values(r).includes('fallback'));
  });

  it('while frames pile up beyond the network, it still gets a frame for each of its workers', () => {
    // Two workers, 4 ticks a frame, a frame every 3 ticks: they keep up, one frame each. The backlog says
    // frames pile up downstream (over half the cap, the oldest past half the budget), so the network's share shrinks frame by frame: to one
    // frame a worker, not below (one worker idle would send every other frame to bicubic).
    const got: Route[] = [];
    const scheduler = new TestScheduler((x, y) => assert.deepEqual(x, y));
    scheduler.run(({ cold, flush }) => {
      const now = (): number => scheduler.now();
      const slots = [0, 0];
      const two: Upscaler = {
        ...fake(0, now),
        parallelism: 2,
        upscale: ((f: Frame) => {
          const i = (slots[0] as number) <= (slots[1] as number) ? 0 : 1;
          slots[i] = Math.max(now(), slots[i] as number) + 4;
          return of({ frame: f, times: NO_TIMES }).pipe(delay((slots[i] as number) - now()));
        }) as unknown as Upscaler['upscale'],
      };
      const keys = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN';
      const frames = Object.fromEntries([...keys].map((k, i) => [k, allocateFrame(i, i * 120, format)]));
      const policy: LivePolicy = { whenBehind: 'bicubic', maxLatencyMs: 1000, maxBacklog: 100, expectedFps: 500 };
      cold(`${[...keys].join('--')}|`, frames)
        .pipe(upscaleLive(two, fake(0, now), 2, policy, () => ({ frames: 60, oldestMs: 600 }), now))
        .subscribe((u) => got.push(u.route));
      flush();
    });
    assert.equal(got.length, 40);
    // Long after the share has shrunk to its floor (16 frames), every frame still goes to the network.
    assert.deepEqual(got.slice(20), Array(20).fill('network'));
  });

  it('a backlog over the cap whose oldest frame is past the budget drops frames whatever the policy', () => {
    assert.deepEqual(
      routes(1, {}, () => ({ frames: 200, oldestMs: 1001 })),
      Array(8).fill('drop'),
    );
  });

  it('a backlog over the cap that is still young (an encoder starting) keeps the frames, and the network keeps its share', () => {
    // Over the cap but the oldest frame has waited under the budget: nothing dropped. Nor does the network's
    // share shrink (the oldest has not waited half the budget): every frame still goes to it.
    assert.deepEqual(
      routes(1, {}, () => ({ frames: 200, oldestMs: 400 })),
      Array(8).fill('network'),
    );
  });

  it('a backlog beyond the hard cap drops frames however young it is (the memory bound)', () => {
    assert.deepEqual(
      routes(1, {}, () => ({ frames: BACKLOG_HARD_CAP * 100 + 1, oldestMs: 0 })),
      Array(8).fill('drop'),
    );
  });

  it('frames the network took before the run (its head start) keep that result, and while they wait for the encoder they are not a backlog', async () => {
    // Eight frames, nothing written yet (an encoder still starting): the backlog is every frame seen. The
    // first four come with results from the head start; the others go to the network, until the frames
    // beyond the head start's exceed the cap of 3.
    const frames = Array.from({ length: 8 }, (_, i) => allocateFrame(i, i * 40, format));
    const called: number[] = [];
    const network: Upscaler = {
      ...fake(0, () => 0),
      upscale: async (f: Frame) => {
        called.push(f.index);
        return { frame: f, times: NO_TIMES };
      },
    };
    const early = new Map(frames.slice(0, 4).map((f) => [f, { result: Promise.resolve({ frame: f, times: NO_TIMES }), ready: true }]));
    const policy: LivePolicy = {
      whenBehind: 'bicubic',
      maxLatencyMs: 1000,
      maxBacklog: 3,
      expectedFps: 1e6,
      headStart: (f) => early.get(f),
    };
    let seen = 0;
    const input = new Subject<Frame>();
    const out = lastValueFrom(
      input.pipe(
        tap(() => seen++),
        upscaleLive(
          network,
          fake(0, () => 0),
          2,
          policy,
          () => ({ frames: seen, oldestMs: 2000 }),
        ),
        toArray(),
      ),
    );
    for (const f of frames) {
      input.next(f);
      await new Promise((r) => setImmediate(r)); // each result is back before the next frame
    }
    input.complete();
    const routed = new Map((await out).map((u: LiveItem) => [u.frame.index, u.route]));
    assert.deepEqual(
      frames.map((f) => routed.get(f.index)),
      ['network', 'network', 'network', 'network', 'network', 'network', 'network', 'drop'],
    );
    assert.deepEqual(called, [4, 5, 6]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Observable } from 'rxjs';
import { AbortedError } from '../errors.js';
import { allocateFrame, type Frame } from './frame.js';
import type { FrameSink, FrameSource, QualityProbe, Upscaler } from './ports.js';
import { runPipeline } from './run-pipeline.js';

const format = { width: 4, height: 2, pixFmt: 'yuv420p' as const };

/** A source with the real one's contract: at most `highWater` frames out and not yet released. */
const creditSource = (count: number, highWater: number) => {
  let next = 0;
  let outstanding = 0;
  let peak = 0;
  let unsubscribed = false;
  let pump: () => void = () => {};
  const source: FrameSource = {
    format,
    highWater,
    frames: () =>
      new Observable<Frame>((sub) => {
        pump = () => {
          while (outstanding < highWater && next < count && !sub.closed) {
            outstanding++;
            peak = Math.max(peak, outstanding);
            sub.next(allocateFrame(next, next * 40, format));
            next++;
          }
          if (next === count && !sub.closed) sub.complete();
        };
        queueMicrotask(pump);
        return () => {
          unsubscribed = true;
        };
      }),
    release: () => {
      outstanding--;
      queueMicrotask(pump);
    },
  };
  return { source, stats: () => ({ peak, outstanding, unsubscribed, emitted: next }) };
};

const jitterUpscaler = (fail?: number): Upscaler => ({
  scale: 2,
  runtime: { model: 'fake', backend: 'fake', workers: 1, threadsPerWorker: null },
  parallelism: 1,
  upscale: async (f) => {
    await sleep((f.index * 7) % 5); // later frames often finish first
    if (f.index === fail) throw new Error(`model failed on frame ${f.index}`);
    return {
      frame: allocateFrame(f.index, f.ptsMs, { ...format, width: 8, height: 4 }),
      times: { convertMs: 1, inferenceMs: 2, chromaMs: 3 },
    };
  },
  dispose: async () => {},
});

const recordingSink = (writeDelay = 0) => {
  const written: number[] = [];
  const calls = { finish: 0, abort: 0 };
  const sink: FrameSink = {
    write: async (f) => {
      await sleep(writeDelay);
      written.push(f.index);
    },
    finish: async () => void calls.finish++,
    abort: async () => void calls.abort++,
  };
  return { sink, written, calls };
};

describe('runPipeline', () => {
  it('writes every frame once, in order, and never holds more than the source bound', async () => {
    const { source, stats } = creditSource(40, 5);
    const { sink, written, calls } = recordingSink(1);
    const progress: number[] = [];
    const result = await runPipeline({
      source,
      upscaler: jitterUpscaler(),
      sink,
      concurrent: 3,
      onProgress: (p) => progress.push(p.frames),
    });
    assert.deepEqual(written, [...Array(40).keys()]);
    assert.equal(result.frames, 40);
    assert.deepEqual(calls, { finish: 1, abort: 0 });
    assert.equal(stats().peak, 5);
    assert.equal(stats().outstanding, 0);
    assert.deepEqual(
      progress,
      [...Array(40).keys()].map((i) => i + 1),
    );
    // The upscaler's own times (1, 2, 3 ms a frame) come through as the run's means; the waits are measured.
    assert.deepEqual([result.stages.convertMs, result.stages.inferenceMs, result.stages.chromaMs, result.stages.qualityMs], [1, 2, 3, 0]);
    assert.ok(result.stages.encodeWaitMs >= 0.5 && result.stages.decodeWaitMs >= 0);
  });

  it('an abort stops the source, removes the output, and rejects with AbortedError', async () => {
    const { source, stats } = creditSource(1000, 4);
    const { sink, written, calls } = recordingSink(2);
    const ac = new AbortController();
    const run = runPipeline({ source, upscaler: jitterUpscaler(), sink, concurrent: 2, signal: ac.signal });
    await sleep(30);
    ac.abort();
    await assert.rejects(run, AbortedError);
    assert.ok(stats().unsubscribed);
    assert.deepEqual(calls, { finish: 0, abort: 1 });
    assert.ok(written.length < 1000 && stats().emitted < 1000);
  });

  it('an abort while the encoder is finishing still removes the output', async () => {
    const { source } = creditSource(5, 4);
    const calls = { finish: 0, abort: 0 };
    let finishing: () => void = () => {};
    const sink: FrameSink = {
      write: async () => {},
      finish: () => {
        calls.finish++;
        return new Promise<void>((resolve) => (finishing = resolve)); // the encoder flushing its last frames
      },
      abort: async () => void calls.abort++,
    };
    const ac = new AbortController();
    const run = runPipeline({ source, upscaler: jitterUpscaler(), sink, concurrent: 2, signal: ac.signal });
    while (!calls.finish) await sleep(1);
    ac.abort();
    finishing();
    await assert.rejects(run, AbortedError);
    assert.deepEqual(calls, { finish: 1, abort: 1 });
  });

  it('live, behind: frames that arrive while others wait for the network start no detail estimate', async () => {
    // A live source: every frame at once, never held back; a network far slower than the frames come.
    const { source } = creditSource(40, Number.POSITIVE_INFINITY);
    const { sink, written } = recordingSink();
    const shadowAsked: boolean[] = [];
    const probe: QualityProbe = {
      mode: 'consistency',
      crop: 0,
      detailEvery: 1,
      prepare: (f, shadow = true) => (shadowAsked.push(shadow), f),
      measure: async () => null,
      release: () => {},
      close: async () => {},
    };
    const slow: Upscaler = { ...jitterUpscaler(), upscale: async (f) => (await sleep(20), jitterUpscaler().upscale(f)) };
    const result = await runPipeline({
      source,
      upscaler: slow,
      sink,
      concurrent: 2,
      probe,
      live: { fallback: jitterUpscaler(), policy: { whenBehind: 'bicubic', maxLatencyMs: 10_000, maxBacklog: 1000 } },
    });
    assert.equal(written.length + result.dropped, 40);
    assert.equal(shadowAsked.length, 40);
    // Only the first frames may start one: those that found at most concurrent + 1 (3) frames in flight.
    assert.ok(shadowAsked.filter(Boolean).length <= 4, `detail estimates asked for: ${shadowAsked.map(Number).join('')}`);
  });

  it("a stage's error ends the run with that error and no output", async () => {
    const { source, stats } = creditSource(50, 4);
    const { sink, calls } = recordingSink();
    await assert.rejects(runPipeline({ source, upscaler: jitterUpscaler(7), sink, concurrent: 2 }), /model failed on frame 7/);
    assert.ok(stats().unsubscribed);
    assert.deepEqual(calls, { finish: 0, abort: 1 });
  });
});

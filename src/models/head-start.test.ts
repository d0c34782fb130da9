import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateFrame, frameByteLength, type Frame } from '../pipeline/frame.js';
import type { Upscaled, Upscaler } from '../pipeline/ports.js';
import { createHeadStart } from './head-start.js';

const format = { width: 4, height: 2, pixFmt: 'yuv420p' as const };
const NO_TIMES = { convertMs: 0, inferenceMs: 0, chromaMs: 0 };

/** An upscaler of one worker whose calls finish when the test says (`finish`); it records what it was given. */
const controlled = () => {
  const given: number[] = [];
  const pending: (() => void)[] = [];
  const upscaler: Upscaler = {
    scale: 2,
    runtime: { model: 'fake', backend: 'fake', workers: 1, threadsPerWorker: null },
    parallelism: 1,
    upscale: (f: Frame) =>
      new Promise<Upscaled>((resolve) => {
        given.push(f.index);
        pending.push(() => resolve({ frame: allocateFrame(f.index, f.ptsMs, { ...f.format, width: 8, height: 4 }), times: NO_TIMES }));
      }),
    dispose: async () => {},
  };
  /** Finishes the oldest call, and lets the head start react. */
  const finish = async (): Promise<void> => {
    pending.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { upscaler, given, finish };
};

const frames = (n: number): Frame[] => Array.from({ length: n }, (_, i) => allocateFrame(i, i * 40, format));

describe('createHeadStart', () => {
  it('gives the network the frames offered, in order, two a worker at a time, from when it starts', async () => {
    const all = frames(4);
    const head = createHeadStart(2);
    const net = controlled();
    for (const f of all.slice(0, 3)) head.offer(f);
    assert.deepEqual(net.given, []);
    assert.equal(head.waiting, 3, 'the frames waiting, which cut the speed measurement short');
    head.start(net.upscaler);
    assert.deepEqual(net.given, [0, 1]);
    assert.equal(head.waiting, 1);
    await net.finish();
    assert.deepEqual(net.given, [0, 1, 2]);
    assert.equal(head.waiting, 0);
    head.offer(all[3] as Frame);
    assert.deepEqual(net.given, [0, 1, 2], 'a third frame for one worker waits for a result');
    await net.finish();
    assert.deepEqual(net.given, [0, 1, 2, 3]);
  });

  it('the run takes each result once; its first take ends the head start, leaving the frames not reached to the run', async () => {
    const all = frames(5);
    const head = createHeadStart(2);
    const net = controlled();
    head.start(net.upscaler);
    for (const f of all.slice(0, 4)) head.offer(f);
    await net.finish(); // frame 0 done, frame 2 given
    assert.equal(head.pending, 3);
    const first = head.take(all[0] as Frame);
    assert.equal(first?.ready, true);
    assert.equal((await first?.result)?.frame.index, 0);
    const second = head.take(all[1] as Frame);
    assert.equal(second?.ready, false, 'a frame still with the network is taken too');
    assert.equal(head.take(all[0] as Frame), undefined, 'taken once');
    assert.equal(head.take(all[2] as Frame), undefined, 'after a miss, what was not taken is forgotten');
    assert.equal(head.take(all[3] as Frame), undefined, 'never given to the network: the run routes it');
    assert.equal(head.pending, 0);
    head.offer(all[4] as Frame);
    await net.finish();
    await net.finish();
    assert.deepEqual(net.given, [0, 1, 2]);
    assert.equal((await second?.result)?.frame.index, 1);
  });

  it('stops at its byte budget: later frames are left to the run', async () => {
    const out = frameByteLength({ width: 8, height: 4, pixFmt: 'yuv420p' });
    const all = frames(5);
    const head = createHeadStart(2, 3 * out);
    const net = controlled();
    head.start(net.upscaler);
    for (const f of all) head.offer(f);
    for (let i = 0; i < 5; i++) await net.finish();
    assert.deepEqual(net.given, [0, 1, 2]);
  });

  it('once stopped (a file on a pipe, or another model), it gives nothing more and forgets its results', async () => {
    const all = frames(3);
    const head = createHeadStart(2);
    const net = controlled();
    head.start(net.upscaler);
    head.offer(all[0] as Frame);
    head.stop();
    head.offer(all[1] as Frame);
    await net.finish();
    assert.deepEqual(net.given, [0]);
    assert.equal(head.take(all[0] as Frame), undefined);
    assert.equal(head.pending, 0);
  });
});

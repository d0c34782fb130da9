import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPacingGauge, type Pacing } from './stdin-pacing.js';

/** Frames at `fps` of stream time, arriving as `arrival(i)` says (ms on the process's clock); the first decision. */
const judge = (
  fps: number,
  arrival: (i: number) => number,
  o: { waited?: (atMs: number) => number; frameBytes?: number; frames?: number } = {},
): { pacing: Pacing | null; atMs: number } => {
  const gauge = createPacingGauge(0);
  for (let i = 0; i < (o.frames ?? 2000); i++) {
    const at = arrival(i);
    const p = gauge.frame(1400 + (i * 1000) / fps, at, o.waited?.(at) ?? 0, (o.frameBytes ?? 0) * (i + 1));
    if (p) return { pacing: p, atMs: at };
  }
  return { pacing: null, atMs: NaN };
};

describe('stdin pacing', () => {
  it('a file on a pipe, decoded 10x faster than real time after a slow start, runs ahead', () => {
    // The first frame 2.5 s after the process started (imports, model, decoder); then 250 fps of a 25 fps stream.
    const r = judge(25, (i) => 2500 + i * 4);
    assert.equal(r.pacing, 'ahead');
    assert.ok(r.atMs < 3000, `decided at ${r.atMs} ms`);
  });

  it('a real-time producer is real time: its first second arrives at once (the decoder probes), then one frame per 40 ms', () => {
    // srvid took 2 s to start: the producer's first 2 s wait in the pipe and come at once, then real time.
    const r = judge(25, (i) => (i < 50 ? 2100 : 2100 + (i - 50) * 40));
    assert.equal(r.pacing, 'real-time');
    assert.ok(r.atMs >= 3100 && r.atMs < 3300, `decided at ${r.atMs} ms`);
  });

  it('a producer whose initial burst is under a second ahead of the clock is real time', () => {
    // ffmpeg >= 6.1's -re: 0.5 s at once at the start, then real time.
    const r = judge(25, (i) => (i < 12 ? 50 : 50 + (i - 12) * 40));
    assert.equal(r.pacing, 'real-time');
  });

  it('a file that decodes slower than real time: stdin keeps waiting for the decoder, so it is a file, at the latest after 4 s', () => {
    const r = judge(25, (i) => 2500 + i * 50, { waited: (at) => at - 1000 });
    assert.equal(r.pacing, 'ahead');
    assert.ok(r.atMs >= 6500 && r.atMs < 6600, `decided at ${r.atMs} ms`);
  });

  it('a real-time producer read by a decoder that is catching up is decided once it has caught up', () => {
    // stdin waits while the decoder works through the first 2 s, then waits no more.
    const r = judge(25, (i) => (i < 50 ? 2000 + i * 30 : 3500 + (i - 50) * 40), { waited: (at) => Math.min(at, 3500) - 1000 });
    assert.equal(r.pacing, 'real-time');
    assert.ok(r.atMs > 4000, `decided at ${r.atMs} ms, while stdin was waiting most of the last second`);
  });

  it('held frames past the cap: ahead if stdin waits or runs ahead, real time otherwise', () => {
    const big = 4 * 2 ** 20;
    assert.equal(judge(25, (i) => 2500 + i * 50, { frameBytes: big, waited: (at) => at }).pacing, 'ahead');
    assert.equal(judge(25, (i) => 2500 + i * 40, { frameBytes: big }).pacing, 'real-time');
  });

  it('decides once: later frames and decide() keep the first decision', async () => {
    const gauge = createPacingGauge(0);
    assert.equal(gauge.frame(0, 100, 0, 0), null);
    gauge.decide('ahead');
    assert.equal(gauge.frame(40, 5000, 0, 0), 'ahead');
    gauge.decide('real-time');
    assert.equal(await gauge.decided, 'ahead');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matroskaFrameHeader, matroskaHeader } from '../sink/matroska-writer.js';
import { MatroskaFrameSplitter } from './split-frames.js';

const FORMAT = { width: 6, height: 4, pixFmt: 'yuv420p' as const };
const FRAME = 6 * 4 + 2 * 3 * 2; // 36 bytes

/** A stream as the sink writes it: header, then (cluster + block header, frame) pairs. */
const stream = (pts: number[]): Uint8Array => {
  const parts: Uint8Array[] = [matroskaHeader(FORMAT)];
  pts.forEach((p, i) => parts.push(matroskaFrameHeader(FRAME, p), new Uint8Array(FRAME).fill(i + 1)));
  return Buffer.concat(parts);
};

const collect = (bytes: Uint8Array, chunk: number) => {
  const got: { first: number; pts: number; length: number }[] = [];
  const s = new MatroskaFrameSplitter(FRAME, (b, pts) => got.push({ first: b[0] as number, pts, length: b.length }));
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
  s.end();
  return got;
};

describe('MatroskaFrameSplitter', () => {
  it('splits exact frames with their timestamps whatever the chunk size', () => {
    const pts = [0, 40, 80, 200, 1000, 70000]; // 70 s: beyond a block's 16-bit offset from a cluster at 0
    const bytes = stream(pts);
    for (const chunk of [1, 2, 3, 7, 36, 37, 100, bytes.length]) {
      const got = collect(bytes, chunk);
      assert.deepEqual(
        got.map((g) => g.pts),
        pts,
        `chunk ${chunk}`,
      );
      assert.deepEqual(
        got.map((g) => g.first),
        [1, 2, 3, 4, 5, 6],
      );
      assert.ok(got.every((g) => g.length === FRAME));
    }
  });

  it('stops at a frame when paused and continues on resume', () => {
    const bytes = stream([0, 1, 2, 3, 4]);
    const seen: number[] = [];
    const s: MatroskaFrameSplitter = new MatroskaFrameSplitter(FRAME, (b) => {
      seen.push(b[0] as number);
      s.pause();
    });
    s.push(bytes); // everything in one chunk
    assert.deepEqual(seen, [1]);
    for (let i = 2; i <= 5; i++) {
      s.resume();
      assert.deepEqual(seen.at(-1), i);
    }
    s.resume();
    assert.equal(s.frames, 5);
  });

  it('reports a stream cut inside a frame', () => {
    const bytes = stream([0, 40]);
    const s = new MatroskaFrameSplitter(FRAME, () => {});
    s.push(bytes.subarray(0, bytes.length - 5));
    assert.throws(() => s.end(), /truncated/);
  });

  it('rejects frames of the wrong size (the decoder changed format)', () => {
    const s = new MatroskaFrameSplitter(FRAME + 1, () => {});
    assert.throws(() => s.push(stream([0])), /expected 37/);
  });
});

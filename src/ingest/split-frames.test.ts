import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matroskaBlockHeader, matroskaFrameHeader, matroskaHeader } from '../sink/matroska-writer.js';
import { FrameSizeChangedError, MatroskaFrameSplitter, type DecoderTracks } from './split-frames.js';

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
    assert.throws(
      () => s.push(stream([0])),
      (e: unknown) => e instanceof FrameSizeChangedError && e.frame === 0 && e.bytes === 36 && e.expectedBytes === 37,
    );
  });

  it("reads the tracks from the header and passes the other tracks' packets through, in stream order", () => {
    const audio = {
      track: 7,
      type: 'audio' as const,
      codecId: 'A_PCM/INT/LIT',
      entry: Uint8Array.from([0x83, 0x81, 0x02, 0x86, 0x8d, ...Buffer.from('A_PCM/INT/LIT')]),
    };
    const bytes = Buffer.concat([
      matroskaHeader(FORMAT, {}, [audio]),
      matroskaBlockHeader(2, 3, 0, true),
      Uint8Array.from([9, 8, 7]),
      matroskaFrameHeader(FRAME, 0),
      new Uint8Array(FRAME).fill(1),
      matroskaBlockHeader(2, 2, 21, true),
      Uint8Array.from([6, 5]),
    ]);
    const seen: string[] = [];
    let tracks: DecoderTracks | null = null;
    const s = new MatroskaFrameSplitter(0, (b, pts) => seen.push(`frame ${b[0]} @${pts}`), {
      onTracks: (t) => {
        tracks = t;
        return FRAME; // the frame size comes from the header
      },
      onPacket: (p) => seen.push(`packet ${p.track} [${[...p.data].join(',')}] @${p.ptsMs}`),
    });
    for (let i = 0; i < bytes.length; i += 5) s.push(bytes.subarray(i, i + 5));
    s.end();
    assert.deepEqual(seen, ['packet 2 [9,8,7] @0', 'frame 1 @0', 'packet 2 [6,5] @21']);
    const t = tracks as DecoderTracks | null;
    assert.deepEqual(t?.video, { track: 1, width: 6, height: 4, frameRate: null });
    assert.equal(t?.side.length, 1);
    assert.equal(t?.side[0]?.type, 'audio');
    assert.equal(t?.side[0]?.codecId, 'A_PCM/INT/LIT');
  });
});

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
      codec: 'pcm_s16le',
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

  /** A SubRip track as a live decoder's header declares it: type 17, S_TEXT/UTF8, language. */
  const SUBRIP = {
    track: 3,
    type: 'subtitle' as const,
    codecId: 'S_TEXT/UTF8',
    codec: 'subrip',
    language: 'fra',
    // TrackType 17 (subtitle), CodecID, Language
    entry: Buffer.concat([
      Buffer.from('838111868b', 'hex'),
      Buffer.from('S_TEXT/UTF8'),
      Buffer.from('22b59c83', 'hex'),
      Buffer.from('fra'),
    ]),
  };

  const splitAll = (bytes: Uint8Array, chunk: number) => {
    const seen: string[] = [];
    let tracks: DecoderTracks | null = null;
    const s = new MatroskaFrameSplitter(FRAME, (b, pts) => seen.push(`frame ${b[0]} @${pts}`), {
      onTracks: (t) => void (tracks = t),
      onPacket: (p) => seen.push(`cue ${p.track} "${Buffer.from(p.data).toString()}" @${p.ptsMs} for ${p.durationMs}`),
    });
    for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
    s.end();
    return { seen, tracks: tracks as DecoderTracks | null };
  };

  it('reads a subtitle cue as ffmpeg writes it: a BlockGroup with its Block, then its BlockDuration', () => {
    // Literal bytes from ffmpeg 5.1's Matroska muxer (a live decoder copying SubRip): Cluster (its CRC-32, Timecode
    // 523), BlockGroup { Block: track 2, offset 0, "hello"; BlockDuration 1000 }.
    const cluster = Buffer.from('1f43b6759bbf84040749dfe782020ba08fa1898200000068656c6c6f9b8203e8', 'hex');
    const bytes = Buffer.concat([
      matroskaHeader(FORMAT, {}, [SUBRIP]),
      cluster,
      matroskaFrameHeader(FRAME, 540),
      new Uint8Array(FRAME).fill(4),
    ]);
    for (const chunk of [1, 3, 7, bytes.length]) {
      const { seen, tracks } = splitAll(bytes, chunk);
      assert.deepEqual(seen, ['cue 2 "hello" @523 for 1000', 'frame 4 @540'], `chunk ${chunk}`);
      assert.deepEqual(
        tracks?.side.map((t) => [t.type, t.codecId, t.codec, t.language]),
        [['subtitle', 'S_TEXT/UTF8', 'subrip', 'fra']],
      );
    }
  });

  it('round trip: the sink writes a cue with its duration, the splitter reads the same cue back', () => {
    const cues: [string, number, number][] = [
      ['hello', 500, 1000],
      ['world', 70_250, 1500], // beyond a block's 16-bit offset from a cluster at 0
      ['', 90_000, 0], // an empty cue with a zero duration is still a cue with a duration
    ];
    const parts: Uint8Array[] = [matroskaHeader(FORMAT, {}, [SUBRIP]), matroskaFrameHeader(FRAME, 0), new Uint8Array(FRAME).fill(1)];
    for (const [text, pts, duration] of cues)
      parts.push(matroskaBlockHeader(2, Buffer.byteLength(text), pts, true, duration), Buffer.from(text));
    parts.push(matroskaBlockHeader(2, 2, 90_040, true), Uint8Array.from([0x6f, 0x6b])); // no duration: a SimpleBlock
    const { seen } = splitAll(Buffer.concat(parts), 5);
    assert.deepEqual(seen, [
      'frame 1 @0',
      'cue 2 "hello" @500 for 1000',
      'cue 2 "world" @70250 for 1500',
      'cue 2 "" @90000 for 0',
      'cue 2 "ok" @90040 for undefined',
    ]);
  });
});

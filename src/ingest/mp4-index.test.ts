import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mp4IndexAtEnd } from './mp4-index.js';

const box = (type: string, size: number, body = Buffer.alloc(0)): Buffer => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body]);
};
// The first boxes ffmpeg writes: ftyp (isom), then free and mdat without -movflags +faststart, moov first with it.
const ftyp = box('ftyp', 32, Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));

describe('mp4IndexAtEnd', () => {
  it('ffmpeg default MP4 (ftyp, free, mdat …): the index is at the end', () => {
    assert.equal(mp4IndexAtEnd(Buffer.concat([ftyp, box('free', 8), box('mdat', 255096), Buffer.alloc(100)])), true);
  });

  it('faststart (ftyp, moov …) and fragmented MP4 (ftyp, moov, moof …): readable from a pipe', () => {
    assert.equal(mp4IndexAtEnd(Buffer.concat([ftyp, box('moov', 5000), Buffer.alloc(100)])), false);
    assert.equal(mp4IndexAtEnd(Buffer.concat([ftyp, box('free', 8), box('moov', 16), box('moof', 100)])), false);
  });

  it('an mdat with a 64-bit size, after a wide box (QuickTime)', () => {
    const mdat = Buffer.concat([box('mdat', 1), Buffer.from([0, 0, 0, 1, 0, 0, 0, 0])]);
    assert.equal(mp4IndexAtEnd(Buffer.concat([ftyp, box('wide', 8), mdat])), true);
  });

  it('not an MP4, or too little to tell: false, and ffmpeg is left to try', () => {
    assert.equal(mp4IndexAtEnd(Buffer.from('\x1aE\xdf\xa3 matroska', 'latin1')), false);
    assert.equal(mp4IndexAtEnd(Buffer.alloc(0)), false);
    assert.equal(mp4IndexAtEnd(Buffer.concat([ftyp, box('uuid', 100_000), Buffer.alloc(10)])), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../errors.js';
import { parseProbe } from './probe-input.js';

// Trimmed from `ffprobe -v error -print_format json -show_format -show_streams -show_chapters` (ffmpeg 5.1).
const PHONE_CLIP = {
  streams: [
    {
      index: 0,
      codec_name: 'h264',
      codec_type: 'video',
      width: 1920,
      height: 1080,
      pix_fmt: 'yuv420p',
      color_range: 'tv',
      color_space: 'bt709',
      color_transfer: 'bt709',
      color_primaries: 'bt709',
      r_frame_rate: '30/1',
      avg_frame_rate: '30000/1001',
      time_base: '1/90000',
      duration: '10.010000',
      bits_per_raw_sample: '8',
      nb_frames: '300',
      disposition: { default: 1, attached_pic: 0 },
      tags: { language: 'und', handler_name: 'VideoHandle' },
      side_data_list: [{ side_data_type: 'Display Matrix', displaymatrix: '…', rotation: -90 }],
    },
    { index: 1, codec_name: 'aac', codec_type: 'audio', duration: '10.000000', tags: { language: 'eng' } },
    { index: 2, codec_name: 'mov_text', codec_type: 'subtitle', tags: { language: 'fra' } },
  ],
  chapters: [{ id: 0 }, { id: 1 }],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '10.010000' },
};

describe('parseProbe', () => {
  it('reads size (rotation applied), rate, frames, colour tags and streams', () => {
    const info = parseProbe(PHONE_CLIP, 'in.mp4');
    assert.equal(info.rotation, 270);
    assert.deepEqual([info.width, info.height], [1080, 1920]);
    assert.ok(Math.abs((info.frameRate ?? 0) - 29.97) < 0.001);
    assert.equal(info.frameCount, 300);
    assert.equal(info.timeBase, '1/90000');
    assert.deepEqual(info.color, { matrix: 'bt709', range: 'tv', primaries: 'bt709', transfer: 'bt709' });
    assert.deepEqual(
      info.streams.map((s) => [s.index, s.type, s.codec, s.language]),
      [
        [0, 'video', 'h264', 'und'],
        [1, 'audio', 'aac', 'eng'],
        [2, 'subtitle', 'mov_text', 'fra'],
      ],
    );
    assert.equal(info.chapterCount, 2);
    assert.equal(info.bitDepth, 8);
  });

  it('estimates the frame count when the container has none, and reads 10-bit from the pixel format', () => {
    const info = parseProbe(
      {
        streams: [
          {
            index: 0,
            codec_type: 'video',
            codec_name: 'hevc',
            width: 64,
            height: 48,
            pix_fmt: 'yuv420p10le',
            avg_frame_rate: '25/1',
            color_space: 'unknown',
          },
        ],
        format: { duration: '2.000000' },
      },
      'x.mkv',
    );
    assert.equal(info.frameCount, 50);
    assert.equal(info.bitDepth, 10);
    assert.equal(info.color.matrix, undefined);
  });

  it('keeps the field order of interlaced video only', () => {
    const withOrder = (field_order: string) =>
      parseProbe({ streams: [{ ...PHONE_CLIP.streams[0], field_order }], format: PHONE_CLIP.format }, 'in.mp4').fieldOrder;
    assert.equal(withOrder('tt'), 'tt');
    assert.equal(withOrder('bt'), 'bt');
    assert.equal(withOrder('progressive'), undefined);
    assert.equal(withOrder('unknown'), undefined);
    assert.equal(parseProbe(PHONE_CLIP, 'in.mp4').fieldOrder, undefined);
  });

  it('skips cover art and says when there is no video', () => {
    const audioOnly = {
      streams: [
        { index: 0, codec_type: 'audio', codec_name: 'mp3' },
        { index: 1, codec_type: 'video', codec_name: 'mjpeg', width: 500, height: 500, disposition: { attached_pic: 1 } },
      ],
    };
    assert.throws(
      () => parseProbe(audioOnly, 'song.mp3'),
      (e: unknown) => e instanceof InputError && /no video stream/.test(e.message),
    );
  });
});

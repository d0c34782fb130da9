import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVideoEncoders } from './encoders.js';

// The start of Debian ffmpeg 5.1's `ffmpeg -hide_banner -encoders`, and a few of its lines further down.
const LISTING = `Encoders:
 V..... = Video
 A..... = Audio
 S..... = Subtitle
 .F.... = Frame-level multithreading
 ..S... = Slice-level multithreading
 ...X.. = Codec is experimental
 ....B. = Supports draw_horiz_band
 .....D = Supports direct rendering method 1
 ------
 V....D a64multi             Multicolor charset for Commodore 64 (codec a64_multi)
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
 V....D libvpx-vp9           libvpx VP9 (codec vp9)
 VFS..D ffv1                 FFmpeg video codec #1
 A..... aac                  AAC (Advanced Audio Coding)
 S..... srt                  SubRip subtitle
`;

describe('parseVideoEncoders', () => {
  it('lists the video encoders, not the audio or subtitle ones, nor the legend', () => {
    assert.deepEqual([...parseVideoEncoders(LISTING)].sort(), ['a64multi', 'ffv1', 'libvpx-vp9', 'libx264']);
  });
});

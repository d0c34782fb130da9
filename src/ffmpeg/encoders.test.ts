import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../errors.js';
import { checkVideoEncoder, parseVideoEncoders } from './encoders.js';
import { resolveFfmpeg } from './resolve-ffmpeg.js';

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

describe('checkVideoEncoder', () => {
  it('asks the resolved ffmpeg for its encoders once, beside -version: a run waits for one ffmpeg start, not two', async () => {
    const real = (await resolveFfmpeg({ env: { PATH: process.env.PATH } })).ffmpeg;
    const dir = mkdtempSync(join(tmpdir(), 'srvid-encoders-'));
    try {
      // A wrapper that writes down how it was called, then is the real ffmpeg.
      const wrapper = join(dir, 'ffmpeg');
      writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${dir}/calls\nexec ${real} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const tools = await resolveFfmpeg({ ffmpeg: wrapper, ffprobe: 'ffprobe', env: {} });
      await checkVideoEncoder(tools, 'libx264');
      await assert.rejects(
        checkVideoEncoder(tools, 'no-such-encoder'),
        (err: Error) => err instanceof UsageError && /no video encoder of that name/.test(err.message),
      );
      const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').sort();
      assert.deepEqual(calls, ['-hide_banner -encoders', '-hide_banner -version']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks again after a list that could not be read, instead of skipping the check for good', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvid-encoders-'));
    try {
      const real = (await resolveFfmpeg({ env: { PATH: process.env.PATH } })).ffmpeg;
      // The first -encoders fails (as one that timed out would); later calls are the real ffmpeg.
      const wrapper = join(dir, 'ffmpeg');
      const failOnce = `if [ "$2" = -encoders ] && [ ! -e ${dir}/failed ]; then touch ${dir}/failed; exit 1; fi`;
      writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${dir}/calls\n${failOnce}\nexec ${real} "$@"\n`);
      chmodSync(wrapper, 0o755);
      // The wrapper as the resolved ffmpeg, without resolveFfmpeg's early ask (whose timing would race the checks).
      const tools = { ...(await resolveFfmpeg({ env: { PATH: process.env.PATH } })), ffmpeg: wrapper };
      await checkVideoEncoder(tools, 'no-such-encoder'); // no list: passed on, ffmpeg itself will say
      await assert.rejects(checkVideoEncoder(tools, 'no-such-encoder'), UsageError);
      const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
      assert.equal(calls.filter((c) => c === '-hide_banner -encoders').length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

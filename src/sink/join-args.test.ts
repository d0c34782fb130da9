import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VideoInfo } from '../pipeline/ports.js';
import { encoderArgs } from './encoder-args.js';
import { joinArgs } from './join-args.js';

const info: VideoInfo = {
  source: 'in.mkv',
  formatName: 'matroska,webm',
  width: 320,
  height: 240,
  pixFmt: 'yuv420p',
  bitDepth: 8,
  frameRate: 25,
  timeBase: '1/1000',
  durationSec: 2,
  frameCount: 50,
  rotation: 0,
  color: {},
  videoStreamIndex: 0,
  streams: [
    { index: 0, type: 'video', codec: 'h264' },
    { index: 1, type: 'audio', codec: 'pcm_s16le' },
    { index: 2, type: 'subtitle', codec: 'subrip' },
    { index: 3, type: 'subtitle', codec: 'hdmv_pgs_subtitle' },
  ],
  chapterCount: 1,
};

/** The input's other streams as the arguments name them: `-map 1:N`, `-c:a:N codec`, chapters and metadata. */
const otherStreams = (args: string[]): string[] =>
  args.flatMap((a, i) => (/^1(:\d+)?$/.test(args[i + 1] ?? '') || /^-c:[ast]:\d+$/.test(a) ? [a, args[i + 1] as string] : []));

describe('joinArgs', () => {
  it('copies the joined video and keeps the same other streams as a plain run, with the timestamps as they are', () => {
    const joined = joinArgs({ info, listPath: '/w/join.ffconcat', target: '/o/.out.partial.mp4', muxer: 'mp4' });
    const plain = encoderArgs({
      info,
      format: { width: 640, height: 480, pixFmt: 'yuv420p' },
      target: '/o/.out.partial.mp4',
      muxer: 'mp4',
      settings: { codec: 'libx264', crf: 18, preset: 'medium' },
      keepStreams: true,
      ffmpegMajor: 5,
    });
    assert.deepEqual(otherStreams(joined.args), otherStreams(plain.args));
    assert.ok(otherStreams(joined.args).includes('-map_chapters'));
    assert.deepEqual(joined.warnings, plain.warnings);
    const a = joined.args;
    assert.deepEqual(a.slice(a.indexOf('-copyts'), a.indexOf('-copyts') + 9), [
      '-copyts',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      '/w/join.ffconcat',
      '-i',
      'in.mkv',
    ]);
    assert.equal(a[a.indexOf('-c:v') + 1], 'copy');
    assert.deepEqual(a.slice(-5), ['-movflags', '+faststart', '-f', 'mp4', '/o/.out.partial.mp4']);
  });
});

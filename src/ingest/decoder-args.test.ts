import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decoderArgs, liveDecoderArgs, transportPixFmt, type LiveSubtitles } from './decoder-args.js';
import { parseFfmpegMajor } from '../ffmpeg/resolve-ffmpeg.js';

describe('decoderArgs', () => {
  const base = { input: 'in.mp4', videoStreamIndex: 2, pixFmt: 'yuv420p' as const, strict: true };
  it('maps the chosen stream to raw frames in Matroska on stdout, timestamps passed through', () => {
    const args = decoderArgs({ ...base, ffmpegMajor: 5 });
    assert.deepEqual(args.slice(args.indexOf('-i'), args.indexOf('-i') + 4), ['-i', 'in.mp4', '-map', '0:2']);
    assert.ok(args.includes('-xerror') && args.includes('-copyts'));
    assert.deepEqual(args.slice(-5), ['-allow_raw_vfw', '1', '-f', 'matroska', 'pipe:1']);
    assert.equal(args[args.indexOf('-fps_mode') + 1], 'passthrough');
    assert.equal(args[args.indexOf('-autoscale') + 1], '0', 'a size change mid-stream is not scaled away');
  });
  it('speaks ffmpeg 4 (-vsync, no -allow_raw_vfw) and can tolerate errors', () => {
    const args = decoderArgs({ ...base, ffmpegMajor: 4, strict: false });
    assert.ok(args.includes('-vsync') && !args.includes('-fps_mode') && !args.includes('-allow_raw_vfw') && !args.includes('-autoscale'));
    assert.ok(!args.includes('-xerror'));
  });
  it('keeps 10-bit only where ffmpeg can carry it', () => {
    assert.equal(transportPixFmt(10, 5), 'yuv420p10le');
    assert.equal(transportPixFmt(10, 4), 'yuv420p');
    assert.equal(transportPixFmt(8, 6), 'yuv420p');
  });
});

describe('liveDecoderArgs', () => {
  const live = (subtitles: LiveSubtitles) =>
    liveDecoderArgs({ input: 'pipe:0', pixFmt: 'yuv420p', ffmpegMajor: 5, readTimeoutMs: null, listen: false, subtitles });
  const pairs = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
  it('decodes with slice threads only (frame threads hold frames back) and flushes each frame', () => {
    const args = live({ kind: 'all' });
    const input = args.indexOf('-i');
    assert.equal(args[args.indexOf('-thread_type') + 1], 'slice');
    assert.ok(args.indexOf('-thread_type') < input, 'a decoder option goes before -i');
    assert.equal(args[args.indexOf('-flush_packets') + 1], '1');
    assert.ok(args.indexOf('-flush_packets') > input, 'an output option goes after -i');
    assert.ok(!args.includes('low_delay'), "low_delay shows MPEG-2's B-frames out of order");
  });
  it('copies every subtitle stream first, then the chosen ones by index (copied or to SubRip), or none', () => {
    const all = live({ kind: 'all' });
    assert.deepEqual(pairs(all, '-map'), ['0:v:0', '0:a?', '0:s?']);
    assert.deepEqual(pairs(all, '-c:s'), ['copy']);
    const chosen = live({
      kind: 'chosen',
      streams: [
        { index: 2, codec: 'srt' },
        { index: 4, codec: 'copy' },
      ],
    });
    assert.deepEqual(pairs(chosen, '-map'), ['0:v:0', '0:a?', '0:2?', '0:4?']);
    assert.deepEqual([...pairs(chosen, '-c:s:0'), ...pairs(chosen, '-c:s:1')], ['srt', 'copy']);
    assert.deepEqual(pairs(live({ kind: 'none' }), '-map'), ['0:v:0', '0:a?']);
  });
  it('logs the stream list with level tags, and does not hold frames back for a sparse subtitle stream', () => {
    const args = live({ kind: 'all' });
    assert.deepEqual(pairs(args, '-loglevel'), ['level+info']);
    assert.ok(args.includes('-nostats'));
    assert.deepEqual(pairs(args, '-max_interleave_delta'), ['100000']);
  });
});

describe('parseFfmpegMajor', () => {
  it('reads release versions and git builds (by libavutil)', () => {
    assert.equal(parseFfmpegMajor('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026'), 5);
    assert.equal(parseFfmpegMajor('ffmpeg version n6.1.1 Copyright'), 6);
    assert.equal(
      parseFfmpegMajor(
        'ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/\nlibavutil      56. 22.100 / 56. 22.100',
      ),
      4,
    );
    assert.equal(parseFfmpegMajor('something else'), null);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SideTrack, VideoInfo } from '../pipeline/ports.js';
import { encoderArgs, muxerForPath, streamDisposition } from './encoder-args.js';

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
  color: { matrix: 'bt709', range: 'tv', primaries: 'bt709', transfer: 'bt709' },
  videoStreamIndex: 0,
  streams: [
    { index: 0, type: 'video', codec: 'h264' },
    { index: 1, type: 'audio', codec: 'aac', language: 'eng' },
    { index: 2, type: 'audio', codec: 'pcm_s16le', language: 'fra' },
    { index: 3, type: 'subtitle', codec: 'subrip' },
    { index: 4, type: 'subtitle', codec: 'hdmv_pgs_subtitle' },
    { index: 5, type: 'attachment', codec: 'ttf' },
  ],
  chapterCount: 1,
};

const plan = (muxer: string, width = 640) =>
  encoderArgs({
    info,
    format: { width, height: 480, pixFmt: 'yuv420p' },
    target: '/tmp/x.partial.out',
    muxer,
    settings: { codec: 'libx264', crf: 18, preset: 'medium' },
    keepStreams: true,
    ffmpegMajor: 5,
  });

const pairs = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] as string] : []));

describe('encoderArgs', () => {
  it('Matroska keeps every stream, chapters and metadata, and the colour tags', () => {
    const { args, warnings } = plan('matroska');
    assert.deepEqual(pairs(args, '-map'), ['0:v:0', '1:1', '1:2', '1:3', '1:4', '1:5']);
    assert.deepEqual(warnings, []);
    assert.equal(args[args.indexOf('-map_chapters') + 1], '1');
    assert.equal(args[args.indexOf('-map_metadata') + 1], '1');
    assert.deepEqual(
      ['-colorspace', '-color_primaries', '-color_trc', '-color_range'].map((f) => args[args.indexOf(f) + 1]),
      ['bt709', 'bt709', 'bt709', 'tv'],
    );
    assert.deepEqual(args.slice(-3), ['-f', 'matroska', '/tmp/x.partial.out']);
  });

  it('MP4 converts text subtitles, re-encodes PCM, and says what it dropped', () => {
    const { args, warnings } = plan('mp4');
    assert.deepEqual(pairs(args, '-map'), ['0:v:0', '1:1', '1:2', '1:3']);
    assert.equal(args[args.indexOf('-c:a:0') + 1], 'copy');
    assert.equal(args[args.indexOf('-c:a:1') + 1], 'aac');
    assert.equal(args[args.indexOf('-c:s:0') + 1], 'mov_text');
    assert.equal(warnings.length, 4);
    assert.ok(warnings.some((w) => /hdmv_pgs_subtitle.*left out: MP4 cannot hold hdmv_pgs_subtitle subtitles; write \.mkv/.test(w)));
    assert.ok(warnings.some((w) => /attachment.*dropped/.test(w)));
    assert.ok(args.includes('+faststart'));
  });

  it('crops an odd upscaled size to even for 4:2:0', () => {
    const { args, warnings } = plan('matroska', 321);
    assert.match(args[args.indexOf('-vf') + 1] ?? '', /^crop=/);
    assert.ok(warnings.some((w) => /even/.test(w)));
  });

  it('Matroska converts mov_text to SubRip and drops subtitles it has no codec ID for', () => {
    assert.deepEqual(streamDisposition({ index: 3, type: 'subtitle', codec: 'mov_text' }, 'matroska'), {
      action: 'encode',
      codec: 'srt',
      note: 'subtitle stream #3 (mov_text) converted to SubRip for Matroska',
    });
    assert.equal(streamDisposition({ index: 4, type: 'subtitle', codec: 'dvb_teletext' }, 'matroska').action, 'drop');
    assert.equal(streamDisposition({ index: 5, type: 'subtitle', codec: 'hdmv_pgs_subtitle' }, 'matroska').action, 'copy');
  });

  it('muxers by extension', () => {
    assert.equal(muxerForPath('a/b.MP4'), 'mp4');
    assert.equal(muxerForPath('x.mkv'), 'matroska');
    assert.equal(muxerForPath('x.unknown'), null);
    assert.equal(streamDisposition({ index: 1, type: 'audio', codec: 'flac' }, 'webm').action, 'encode');
  });

  it('network outputs by scheme, HLS by .m3u8', () => {
    assert.equal(muxerForPath('udp://127.0.0.1:5000?pkt_size=1316'), 'mpegts');
    assert.equal(muxerForPath('srt://host:9000'), 'mpegts');
    assert.equal(muxerForPath('rtmp://host/live/key'), 'flv');
    assert.equal(muxerForPath('out/live.m3u8'), 'hls');
    assert.equal(muxerForPath('gopher://x/y'), null);
  });

  it('a millisecond time base, except for MP4/MOV with ffmpeg 4, whose packets would then end without a duration', () => {
    const args = (muxer: string, ffmpegMajor: number) =>
      encoderArgs({
        info,
        format: { width: 640, height: 480, pixFmt: 'yuv420p' },
        target: '/tmp/x.partial.out',
        muxer,
        settings: { codec: 'libx264', crf: 18, preset: 'medium' },
        keepStreams: false,
        ffmpegMajor,
      }).args;
    assert.deepEqual(pairs(args('mp4', 5), '-enc_time_base'), ['1/1000']);
    assert.deepEqual(pairs(args('matroska', 4), '-enc_time_base'), ['1/1000']);
    assert.deepEqual(pairs(args('mp4', 4), '-enc_time_base'), []);
    assert.deepEqual(pairs(args('mov', 4), '-enc_time_base'), []);
  });

  it('live: the frames pipe only, its PCM audio encoded, x264 tuned for latency, HLS as a rolling window', () => {
    const live = encoderArgs({
      info,
      format: { width: 640, height: 480, pixFmt: 'yuv420p' },
      target: 'out/live.m3u8',
      muxer: 'hls',
      settings: { codec: 'libx264', crf: 18, preset: 'medium' },
      keepStreams: false,
      ffmpegMajor: 5,
      sideTracks: [{ track: 2, type: 'audio', codecId: 'A_PCM/INT/LIT', codec: 'pcm_s16le', entry: new Uint8Array(0) }],
      live: { frameRate: 30, presetGiven: false },
    }).args;
    assert.deepEqual(pairs(live, '-i'), ['pipe:0'], 'the input is never read a second time');
    assert.deepEqual(pairs(live, '-map'), ['0:v:0', '0:1']);
    assert.deepEqual(pairs(live, '-c:a:0'), ['aac']);
    assert.deepEqual(pairs(live, '-preset'), ['superfast']);
    assert.deepEqual(pairs(live, '-tune'), ['zerolatency']);
    assert.deepEqual(pairs(live, '-g'), ['60']);
    assert.deepEqual(pairs(live, '-hls_list_size'), ['6']);
    assert.match(pairs(live, '-hls_flags')[0] ?? '', /delete_segments/);
    assert.equal(live.at(-1), 'out/live.m3u8');
  });

  it('live: each subtitle track by the same rules as a file run, or left out with a warning that says what to do', () => {
    const side = (track: number, type: SideTrack['type'], codec: string, language?: string): SideTrack => ({
      track,
      type,
      codecId: '',
      codec,
      ...(language ? { language } : {}),
      entry: new Uint8Array(0),
    });
    const tracks = [side(2, 'audio', 'pcm_s16le'), side(3, 'subtitle', 'subrip', 'eng'), side(4, 'subtitle', 'dvb_subtitle')];
    const live = (muxer: string) =>
      encoderArgs({
        info,
        format: { width: 640, height: 480, pixFmt: 'yuv420p' },
        target: 'pipe:1',
        muxer,
        settings: { codec: 'libx264', crf: 18, preset: 'medium' },
        keepStreams: false,
        ffmpegMajor: 5,
        sideTracks: tracks,
        live: { frameRate: 25, presetGiven: false },
      });
    const mkv = live('matroska');
    assert.deepEqual(pairs(mkv.args, '-map'), ['0:v:0', '0:1', '0:2', '0:3'], 'the frames pipe: video, audio, two subtitle tracks');
    assert.deepEqual([...pairs(mkv.args, '-c:s:0'), ...pairs(mkv.args, '-c:s:1')], ['copy', 'copy']);
    assert.deepEqual(mkv.warnings, []);
    assert.deepEqual(pairs(mkv.args, '-max_interleave_delta'), ['100000'], 'a sparse subtitle track does not hold the frames back');

    const mp4 = live('mp4');
    assert.deepEqual(pairs(mp4.args, '-map'), ['0:v:0', '0:1', '0:2']);
    assert.deepEqual(pairs(mp4.args, '-c:s:0'), ['mov_text']);
    assert.deepEqual(mp4.warnings, [
      'subtitle track 1 (subrip, eng) converted to mov_text, the only subtitle format of mp4',
      'subtitle track 2 (dvb_subtitle) left out: MP4 cannot hold dvb_subtitle subtitles; write .mkv (or -f matroska) to keep it',
    ]);

    const ts = live('mpegts');
    assert.deepEqual(pairs(ts.args, '-map'), ['0:v:0', '0:1'], 'audio only: MPEG-TS holds no text subtitles');
    assert.deepEqual(pairs(ts.args, '-max_interleave_delta'), []);
    assert.equal(
      ts.warnings[0],
      'subtitle track 1 (subrip, eng) left out: MPEG-TS cannot hold text subtitles; write .mkv (or -f matroska) to keep it',
    );
    for (const muxer of ['flv', 'hls']) {
      assert.deepEqual(pairs(live(muxer).args, '-map'), ['0:v:0', '0:1'], muxer);
      assert.match(live(muxer).warnings[0] ?? '', /^subtitle track 1 \(subrip, eng\) left out: (FLV|HLS) cannot hold text subtitles/);
    }
    const webm = live('webm');
    assert.deepEqual(pairs(webm.args, '-c:s:0'), ['webvtt']);
    assert.deepEqual(pairs(webm.args, '-c:a:0'), ['libopus']);
  });
});

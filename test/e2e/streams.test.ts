/** Every other stream of the input comes along: two audio tracks, a subtitle, chapters and the title. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { ffmpeg, makeTempDir, type TempDir } from '../helpers/clips.js';
import { probe, streamsOf, videoOf, type Probed } from '../helpers/probe.js';

const SRT = `1
00:00:00,100 --> 00:00:00,400
Hello

2
00:00:00,500 --> 00:00:00,800
World
`;

const FFMETADATA = `;FFMETADATA1
title=Streams test clip

[CHAPTER]
TIMEBASE=1/1000
START=0
END=400
title=Opening

[CHAPTER]
TIMEBASE=1/1000
START=400
END=1000
title=Rest
`;

describe('streams, chapters and metadata', () => {
  let tmp: TempDir;
  let input: string;
  let inProbe: Probed;

  before(async () => {
    tmp = makeTempDir('streams');
    const srt = tmp.write('subs.srt', SRT);
    const meta = tmp.write('meta.txt', FFMETADATA);
    input = tmp.file('in.mkv');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=44100:duration=1',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=660:sample_rate=48000:duration=1',
      '-i',
      srt,
      '-f',
      'ffmetadata',
      '-i',
      meta,
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-map',
      '2:a',
      '-map',
      '3:s',
      '-map_metadata',
      '4',
      '-map_chapters',
      '4',
      '-frames:v',
      '25',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a:0',
      'aac',
      '-c:a:1',
      'ac3',
      '-c:s',
      'srt',
      '-metadata:s:a:0',
      'language=eng',
      '-metadata:s:a:1',
      'language=fra',
      '-metadata:s:s:0',
      'language=deu',
      input,
    ]);
    inProbe = await probe(input);
  });

  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('the fixture has 2 audio tracks, 1 subtitle, 2 chapters and a title', () => {
    assert.deepEqual(
      streamsOf(inProbe, 'audio').map((s) => [s.codec_name, s.tags?.language]),
      [
        ['aac', 'eng'],
        ['ac3', 'fra'],
      ],
    );
    assert.deepEqual(
      streamsOf(inProbe, 'subtitle').map((s) => [s.codec_name, s.tags?.language]),
      [['subrip', 'deu']],
    );
    assert.equal(inProbe.chapters.length, 2);
    assert.equal(inProbe.format.tags?.title, 'Streams test clip');
  });

  describe('→ mkv', () => {
    let out: Probed;
    let stderr: string;
    before(async () => {
      const output = tmp.file('out.mkv');
      const r = await runCli([input, output, '--scale', '2']);
      assert.equal(r.code, 0, r.stderr);
      stderr = r.stderr;
      out = await probe(output);
    });

    it('keeps both audio tracks, in order, with codecs and languages', () => {
      assert.deepEqual(
        streamsOf(out, 'audio').map((s) => [s.codec_name, s.tags?.language]),
        [
          ['aac', 'eng'],
          ['ac3', 'fra'],
        ],
      );
    });

    it('keeps the subtitle as SubRip with its language', () => {
      assert.deepEqual(
        streamsOf(out, 'subtitle').map((s) => [s.codec_name, s.tags?.language]),
        [['subrip', 'deu']],
      );
    });

    it('keeps the chapters and the title', () => {
      assert.deepEqual(
        out.chapters.map((c) => [Number(c.start_time), Number(c.end_time), c.tags?.title]),
        [
          [0, 0.4, 'Opening'],
          [0.4, 1, 'Rest'],
        ],
      );
      assert.equal(out.format.tags?.title, 'Streams test clip');
    });

    it('has the upscaled video and no warning', () => {
      const v = videoOf(out);
      assert.deepEqual([v.width, v.height], [192, 128]);
      assert.ok(!/warning/.test(stderr), stderr);
    });
  });

  describe('→ mp4', () => {
    let out: Probed;
    let stderr: string;
    before(async () => {
      const output = tmp.file('out.mp4');
      const r = await runCli([input, output, '--scale', '2']);
      assert.equal(r.code, 0, r.stderr);
      stderr = r.stderr;
      out = await probe(output);
    });

    it('keeps both audio tracks with their languages', () => {
      assert.deepEqual(
        streamsOf(out, 'audio').map((s) => [s.codec_name, s.tags?.language]),
        [
          ['aac', 'eng'],
          ['ac3', 'fra'],
        ],
      );
    });

    it('converts the subtitle to mov_text', () => {
      assert.deepEqual(
        streamsOf(out, 'subtitle').map((s) => [s.codec_name, s.tags?.language]),
        [['mov_text', 'deu']],
      );
    });

    it('says so in a warning on stderr', () => {
      const warnings = lines(stderr).filter((l) => l.startsWith('srvid: warning:'));
      assert.equal(warnings.length, 1, stderr);
      assert.match(warnings[0]!, /mov_text/);
    });

    it('keeps the chapters and the title', () => {
      assert.deepEqual(
        out.chapters.map((c) => c.tags?.title),
        ['Opening', 'Rest'],
      );
      assert.equal(out.format.tags?.title, 'Streams test clip');
    });
  });

  it('upscales the video when it is not the first stream (audio first), keeping the audio', async () => {
    const audioFirst = tmp.file('audio-first.mkv');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:duration=0.6',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=25:duration=0.6',
      '-map',
      '0:a',
      '-map',
      '1:v',
      '-frames:v',
      '15',
      '-c:a',
      'aac',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      audioFirst,
    ]);
    const output = tmp.file('audio-first-out.mp4');
    const r = await runCli([audioFirst, output, '--scale', '2', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const out = await probe(output);
    assert.deepEqual(
      out.streams.map((s) => [s.codec_type, s.width ?? null]),
      [
        ['video', 192],
        ['audio', null],
      ],
    );
  });
});

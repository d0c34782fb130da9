/** The main path: an mp4 with audio, upscaled x2 by the real CLI. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, lines, partialFiles, runCli, type CliResult } from '../helpers/cli.js';
import { ffmpeg, makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames, probe, streamsOf, videoOf, type Probed } from '../helpers/probe.js';

const W = 96;
const H = 64;
const FRAMES = 25;
const RATE = 25;

describe('srvid IN.mp4 OUT.mp4 --scale 2 (h264 + aac)', () => {
  let tmp: TempDir;
  let input: string;
  let output: string;
  let result: CliResult;
  let inProbe: Probed;
  let outProbe: Probed;

  before(async () => {
    tmp = makeTempDir('basic');
    input = await makeClip(tmp.file('in.mp4'), { width: W, height: H, frames: FRAMES, rate: RATE, audio: true });
    output = tmp.file('out.mp4');
    result = await runCli([input, output, '--scale', '2']);
    inProbe = await probe(input);
    if (existsSync(output)) outProbe = await probe(output);
  });

  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('exits 0 and writes the output', () => {
    assert.equal(result.code, 0, `stderr:\n${result.stderr}`);
    assert.ok(existsSync(output), 'output file missing');
    assert.deepEqual(partialFiles(tmp.path), []);
  });

  it('doubles width and height', () => {
    const v = videoOf(outProbe);
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 2 * W);
    assert.equal(v.height, 2 * H);
  });

  it('keeps every frame', async () => {
    const inFrames = await countVideoFrames(input);
    assert.equal(inFrames, FRAMES);
    assert.equal(await countVideoFrames(output), inFrames);
  });

  it('keeps the video duration within one frame', () => {
    const dIn = Number(videoOf(inProbe).duration);
    const dOut = Number(videoOf(outProbe).duration);
    assert.ok(Number.isFinite(dIn) && Number.isFinite(dOut), `durations ${dIn} / ${dOut}`);
    assert.ok(Math.abs(dOut - dIn) <= 1 / RATE + 1e-6, `video duration ${dOut}s vs input ${dIn}s`);
  });

  it('keeps the audio stream: same codec, same duration', () => {
    const aIn = streamsOf(inProbe, 'audio');
    const aOut = streamsOf(outProbe, 'audio');
    assert.equal(aIn.length, 1);
    assert.equal(aOut.length, 1, 'audio stream missing in the output');
    assert.equal(aOut[0]!.codec_name, aIn[0]!.codec_name);
    const dIn = Number(aIn[0]!.duration);
    const dOut = Number(aOut[0]!.duration);
    assert.ok(Math.abs(dOut - dIn) < 0.001, `audio duration ${dOut}s vs input ${dIn}s`);
    assert.ok(Math.abs(Number(outProbe.format.duration) - Number(inProbe.format.duration)) <= 1 / RATE + 1e-6);
  });

  it('prints progress and the summary on stderr, nothing on stdout', () => {
    assert.equal(result.stdout, '');
    const err = lines(result.stderr);
    assert.ok(
      err.some((l) => l.startsWith(`${input}: ${W}x${H}`)),
      `no start line in:\n${result.stderr}`,
    );
    assert.ok(
      err.some((l) => /^frame \d+/.test(l)),
      `no progress line in:\n${result.stderr}`,
    );
    assert.ok(
      err.some((l) => l.startsWith(`wrote ${output}: ${FRAMES} frames`)),
      `no summary line in:\n${result.stderr}`,
    );
    assert.ok(!err.some((l) => l.startsWith('srvid:')), `unexpected warning or error:\n${result.stderr}`);
  });
});

describe('srvid IN.mp4 OUT.webm (container named by the extension, default codec)', () => {
  let tmp: TempDir;
  before(() => {
    tmp = makeTempDir('basic-webm');
  });
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('writes a WebM with a WebM video codec (the help offers .webm; libx264 cannot go in it)', async () => {
    const input = await makeClip(tmp.file('in.mp4'), { frames: 10, audio: true });
    const output = tmp.file('out.webm');
    const r = await runCli([input, output, '--scale', '2', '-q']);
    assert.equal(r.code, 0, `stderr:\n${r.stderr}`);
    const out = await probe(output);
    assert.ok(['vp8', 'vp9', 'av1'].includes(videoOf(out).codec_name), `video codec ${videoOf(out).codec_name}`);
    assert.deepEqual(
      streamsOf(out, 'audio').map((s) => s.codec_name),
      ['opus'],
    );
    assert.deepEqual(partialFiles(tmp.path), []);
  });
});

describe('counts that are true', () => {
  let tmp: TempDir;
  before(() => {
    tmp = makeTempDir('basic-counts');
  });
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('an AVI whose header counts its null frames: the start and progress lines count the frames that are there', async () => {
    // 20 frames three frame slots apart: ffmpeg's AVI muxer fills the gaps with null frames, and the header says 58.
    const input = tmp.file('gaps.avi');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25', '-frames:v', '20', '-vf', 'setpts=N*3/(25*TB)'],
      ...['-fps_mode', 'passthrough', '-c:v', 'mpeg4', '-r', '25', input],
    ]);
    assert.equal(videoOf(await probe(input)).nb_frames, '58', 'the clip no longer has null frames');
    const output = tmp.file('gaps.mkv');
    const r = await runCli([input, output, '--model', 'espcn-light']);
    assert.equal(r.code, 0, r.stderr);
    const err = lines(r.stderr);
    assert.match(err[0] ?? '', /^\S+gaps\.avi: 96x64 \S+ [\d.]+ fps, 20 frames → 192x128 /);
    const progress = err.filter((l) => /^frame \d+/.test(l));
    assert.ok(progress.length > 0, r.stderr);
    for (const l of progress) assert.match(l, /^frame \d+\/20 /);
    assert.match(progress.at(-1) ?? '', /^frame 20\/20 \(100%\)/);
    assert.match(err.at(-1) ?? '', /: 20 frames in /);
  });
});

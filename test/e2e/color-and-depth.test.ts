/** Colour tags, full range, 10-bit and odd sizes, each checked on the output's tags and on its samples. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { psnr } from '../../src/quality/psnr.js';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { ffmpeg, makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { decodeLumaAsStored, decodePlanes, meanSample } from '../helpers/planes.js';
import { countVideoFrames, probe, videoOf } from '../helpers/probe.js';

/** Mean PSNR over frames of plane `plane` (0 = Y, 1 = U, 2 = V). */
const meanPlanePsnr = (
  a: Awaited<ReturnType<typeof decodePlanes>>,
  b: Awaited<ReturnType<typeof decodePlanes>>,
  plane: 0 | 1 | 2,
  peak = 255,
): number => {
  assert.equal(a.frames.length, b.frames.length, 'frame counts differ');
  assert.ok(a.frames.length > 0, 'no frames');
  const w = plane === 0 ? a.width : Math.ceil(a.width / 2);
  const h = plane === 0 ? a.height : Math.ceil(a.height / 2);
  const values = a.frames.map((f, i) => psnr(f[plane], b.frames[i]![plane], w, h, { peak }));
  return values.reduce((s, v) => s + v, 0) / values.length;
};

const colorTags = (s: { color_space?: string; color_primaries?: string; color_transfer?: string; color_range?: string }) => ({
  matrix: s.color_space,
  primaries: s.color_primaries,
  transfer: s.color_transfer,
  range: s.color_range,
});

describe('colour and bit depth', () => {
  let tmp: TempDir;
  before(() => {
    tmp = makeTempDir('color');
  });
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('keeps bt709/bt709/bt709/tv tags and the luma level', async () => {
    const input = await makeClip(tmp.file('bt709.mp4'), {
      frames: 12,
      extra: ['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'],
    });
    const want = { matrix: 'bt709', primaries: 'bt709', transfer: 'bt709', range: 'tv' };
    assert.deepEqual(colorTags(videoOf(await probe(input))), want, 'fixture tags');
    const output = tmp.file('bt709-out.mp4');
    const r = await runCli([input, output, '--scale', '2', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const v = videoOf(await probe(output));
    assert.deepEqual(colorTags(v), want);
    assert.equal(v.pix_fmt, 'yuv420p');
    const meanIn = meanSample(await decodeLumaAsStored(input, 96, 64));
    const meanOut = meanSample(await decodeLumaAsStored(output, 192, 128));
    assert.ok(Math.abs(meanOut - meanIn) < 1, `mean Y ${meanOut.toFixed(2)} vs input ${meanIn.toFixed(2)}`);
  });

  it('keeps a full-range (yuvj420p, pc) input full-range: tags and luma level', async () => {
    const input = await makeClip(tmp.file('full.mp4'), {
      frames: 12,
      pixFmt: 'yuvj420p',
      extra: ['-colorspace', 'bt470bg', '-color_primaries', 'bt470bg', '-color_trc', 'smpte170m', '-color_range', 'pc'],
    });
    const want = { matrix: 'bt470bg', primaries: 'bt470bg', transfer: 'smpte170m', range: 'pc' };
    assert.deepEqual(colorTags(videoOf(await probe(input))), want, 'fixture tags');
    const output = tmp.file('full-out.mkv');
    const r = await runCli([input, output, '--scale', '2', '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(colorTags(videoOf(await probe(output))), want);
    // The samples must still be full-range: squeezing them to 16..235 while the tag says pc washes the picture out.
    const meanIn = meanSample(await decodeLumaAsStored(input, 96, 64));
    const meanOut = meanSample(await decodeLumaAsStored(output, 192, 128));
    assert.ok(
      Math.abs(meanOut - meanIn) < 1,
      `mean stored Y ${meanOut.toFixed(2)} vs input ${meanIn.toFixed(2)} (limited-range squeeze gives ${(16 + (meanIn * 219) / 255).toFixed(2)})`,
    );
  });

  it('a 10-bit (yuv420p10le) input gives a 10-bit output with a sane picture', async () => {
    const input = await makeClip(tmp.file('ten.mp4'), { frames: 12, pixFmt: 'yuv420p10le' });
    assert.equal(videoOf(await probe(input)).pix_fmt, 'yuv420p10le', 'fixture pix_fmt');
    const output = tmp.file('ten-out.mkv');
    const r = await runCli([input, output, '--scale', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/8-bit/.test(r.stderr), r.stderr);
    const v = videoOf(await probe(output));
    assert.equal(v.pix_fmt, 'yuv420p10le');
    assert.deepEqual([v.width, v.height], [192, 128]);
    const out = await decodePlanes(output, 192, 128, { tenBit: true });
    const ref = await decodePlanes(input, 192, 128, { tenBit: true, vf: 'scale=192:128:flags=bicubic' });
    const y = meanPlanePsnr(out, ref, 0, 1023);
    const u = meanPlanePsnr(out, ref, 1, 1023);
    console.log(`10-bit: PSNR vs bicubic Y ${y.toFixed(2)} dB, U ${u.toFixed(2)} dB`);
    assert.ok(y > 22, `Y PSNR vs bicubic ${y.toFixed(2)} dB: the 10-bit samples are garbled`);
    assert.ok(u > 25, `U PSNR vs bicubic ${u.toFixed(2)} dB: the 10-bit chroma is garbled`);
  });

  describe('odd-sized input (97x61)', () => {
    let odd: string;
    before(async () => {
      odd = tmp.file('odd.mkv');
      // testsrc2 and crop round to even sizes for 4:2:0 unless crop is told `exact`; ffv1 stores odd sizes.
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=98x62:rate=25',
        '-frames:v',
        '12',
        '-vf',
        'format=yuv420p,crop=97:61:0:0:exact=1',
        '-c:v',
        'ffv1',
        odd,
      ]);
      const v = videoOf(await probe(odd));
      assert.deepEqual([v.width, v.height], [97, 61], 'fixture size');
    });

    it('x2 gives 194x122 with every frame and a sane picture', async () => {
      const output = tmp.file('odd-x2.mkv');
      const r = await runCli([odd, output, '--scale', '2']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!lines(r.stderr).some((l) => l.startsWith('srvid:')), r.stderr);
      const v = videoOf(await probe(output));
      assert.deepEqual([v.width, v.height], [194, 122]);
      assert.equal(await countVideoFrames(output), 12);
      const out = await decodePlanes(output, 194, 122);
      const ref = await decodePlanes(odd, 194, 122, { vf: 'scale=194:122:flags=bicubic' });
      const [y, u, vv] = [meanPlanePsnr(out, ref, 0), meanPlanePsnr(out, ref, 1), meanPlanePsnr(out, ref, 2)];
      console.log(`odd x2: PSNR vs bicubic Y ${y.toFixed(2)}, U ${u.toFixed(2)}, V ${vv.toFixed(2)} dB`);
      assert.ok(y > 22 && u > 25 && vv > 25, `PSNR vs bicubic Y ${y.toFixed(2)} U ${u.toFixed(2)} V ${vv.toFixed(2)} dB`);
    });

    it('x3 gives 291x183 cropped to 290x182, with a warning on stderr', async () => {
      const output = tmp.file('odd-x3.mkv');
      const r = await runCli([odd, output, '--scale', '3']);
      assert.equal(r.code, 0, r.stderr);
      const warnings = lines(r.stderr).filter((l) => l.startsWith('srvid: warning:'));
      assert.equal(warnings.length, 1, r.stderr);
      assert.match(warnings[0]!, /291x183.*cropped/);
      assert.equal(r.stdout, '');
      const v = videoOf(await probe(output));
      assert.deepEqual([v.width, v.height], [290, 182]);
      assert.equal(await countVideoFrames(output), 12);
      const out = await decodePlanes(output, 290, 182);
      const ref = await decodePlanes(odd, 290, 182, { vf: 'scale=291:183:flags=bicubic,crop=290:182:0:0' });
      const [y, u] = [meanPlanePsnr(out, ref, 0), meanPlanePsnr(out, ref, 1)];
      console.log(`odd x3: PSNR vs bicubic-then-crop Y ${y.toFixed(2)}, U ${u.toFixed(2)} dB`);
      assert.ok(y > 22 && u > 25, `PSNR vs bicubic Y ${y.toFixed(2)} U ${u.toFixed(2)} dB (crop misplaced?)`);
    });
  });
});

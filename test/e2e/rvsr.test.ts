/**
 * The recurrent video model through the command line: a run, its quality measured by the run itself, its
 * past reset at a scene cut (a spliced clip, lossless end to end), no decay over a long still scene and a long
 * slow pan with sensor noise, segmented jobs, and the refusals.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it, type TestContext } from 'node:test';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { ffmpeg, makeTempDir, type TempDir } from '../helpers/clips.js';
import { decodeLumaAsStored } from '../helpers/planes.js';
import { countVideoFrames } from '../helpers/probe.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));
const VIDEO = fileURLToPath(new URL('../../../shared/data/video/', import.meta.url));

interface Pair {
  psnr: number;
  ssim: number;
}
interface Report {
  run: { model?: string; runtime?: { model: string; workers: number } } & Record<string, unknown>;
  summary: { measured: number; srvid: { psnr: { mean: number } }; bicubic: { psnr: { mean: number } } };
  frames: { index: number; srvid: Pair | null; bicubic: Pair | null; detail?: { srvid: Pair; bicubic: Pair } }[];
}
const readReport = (path: string): Report => JSON.parse(readFileSync(path, 'utf8')) as Report;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('--model rvsr (recurrent)', () => {
  let tmp: TempDir;
  before(() => (tmp = makeTempDir('rvsr')));
  after(async () => {
    tmp.remove();
    await killLeftovers(tmp.path);
  });

  it('upscales a video in one worker and beats bicubic on it (--reference self); the detail estimate works', async () => {
    const self = tmp.file('self.json');
    const r = await runCli([
      SAMPLE,
      tmp.file('self.mp4'),
      '--model',
      'rvsr',
      '--reference',
      'self',
      '--report',
      self,
      '--preset',
      'ultrafast',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[onnxruntime-cpu, 1 worker × \d threads?\]/);
    const rep = readReport(self);
    assert.match(JSON.stringify(rep.run), /rvsr-x2/);
    assert.equal(rep.summary.measured, 50);
    const gain = rep.summary.srvid.psnr.mean - rep.summary.bicubic.psnr.mean;
    assert.ok(gain > 0.5, `rvsr ${rep.summary.srvid.psnr.mean} vs bicubic ${rep.summary.bicubic.psnr.mean}`);

    // The default mode: faithfulness to the input, and on every Nth frame a detail estimate made by the same
    // worker outside the stream.
    const cons = tmp.file('cons.json');
    const c = await runCli([SAMPLE, tmp.file('cons.mp4'), '--model', 'rvsr', '--report', cons, '--preset', 'ultrafast']);
    assert.equal(c.code, 0, c.stderr);
    const detail = readReport(cons).frames.filter((f) => f.detail);
    assert.ok(detail.length >= 2, `${detail.length} detail estimates`);
    assert.ok(mean(detail.map((f) => f.detail!.srvid.psnr - f.detail!.bicubic.psnr)) > 0.5);
  });

  it('starts over at a scene cut: after the splice, the very frames a run of the second scene alone gives', async () => {
    // Two real scenes, 12 frames each at 160x120, spliced; lossless from end to end (ffv1).
    const crop = (src: string, out: string): Promise<void> =>
      ffmpeg([
        '-i',
        `${VIDEO}${src}`,
        '-vf',
        'scale=320:-2,crop=160:120:40:40,setpts=N/25/TB,fps=25',
        '-frames:v',
        '12',
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'ffv1',
        tmp.file(out),
      ]);
    await crop('vtest.avi', 'a.mkv');
    await crop('tree.avi', 'b.mkv');
    const list = tmp.write('list.txt', `file '${tmp.file('a.mkv')}'\nfile '${tmp.file('b.mkv')}'\n`);
    await ffmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', tmp.file('spliced.mkv')]);
    for (const [input, output] of [
      ['spliced.mkv', 'up-spliced.mkv'],
      ['b.mkv', 'up-b.mkv'],
      ['a.mkv', 'up-a.mkv'],
    ] as const) {
      const r = await runCli([tmp.file(input), tmp.file(output), '--model', 'rvsr', '--codec', 'ffv1']);
      assert.equal(r.code, 0, r.stderr);
    }
    const spliced = await decodeLumaAsStored(tmp.file('up-spliced.mkv'), 320, 240);
    const alone = await decodeLumaAsStored(tmp.file('up-b.mkv'), 320, 240);
    const first = await decodeLumaAsStored(tmp.file('up-a.mkv'), 320, 240);
    assert.equal(spliced.length, 24);
    const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
      Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);
    for (let i = 0; i < 12; i++) {
      assert.ok(same(spliced[i]!, first[i]!), `frame ${i}: the first scene as alone`);
      assert.ok(same(spliced[12 + i]!, alone[i]!), `frame ${12 + i}: the second scene carries nothing of the first`);
    }
    // ...and the run does carry its past: the second scene started at its frame 6 gives another frame 6.
    await ffmpeg(['-i', tmp.file('b.mkv'), '-vf', 'select=gte(n\\,6),setpts=N/25/TB', '-c:v', 'ffv1', tmp.file('b6.mkv')]);
    const r = await runCli([tmp.file('b6.mkv'), tmp.file('up-b6.mkv'), '--model', 'rvsr', '--codec', 'ffv1']);
    assert.equal(r.code, 0, r.stderr);
    const fromSix = await decodeLumaAsStored(tmp.file('up-b6.mkv'), 320, 240);
    assert.equal(fromSix.length, 6);
    assert.ok(!same(fromSix[0]!, alone[6]!), 'frame 6 of the whole scene read the frames before it');
  });

  /**
   * 2,000 frames (80 s at 25 fps) of vtest's first frame with fresh Gaussian-like noise on every frame, through the
   * CLI with `--reference self` (srvid sees it downscaled by 2): the PSNR-Y over the last 50 frames is within 0.1 dB
   * of its level after the first second. `crop` is the 128x96 window over a 160x96 picture, per frame (`n`).
   */
  const longRun = async (
    name: string,
    crop: string,
    { scale = 2, picture = 'crop=320:192:268:200,scale=160:96:flags=area' } = {},
  ): Promise<{ afterFirstSecond: number; atTheEnd: number; psnr: number[] }> => {
    await ffmpeg([...['-y', '-i', `${VIDEO}vtest.avi`, '-frames:v', '1'], ...['-vf', picture, tmp.file(`${name}.png`)]]);
    const clip = tmp.file(`${name}.mkv`);
    await ffmpeg(
      [
        ...['-loop', '1', '-i', tmp.file(`${name}.png`), '-vf', `${crop},noise=alls=4:allf=t,format=yuv420p`],
        ...['-r', '25', '-frames:v', '2000', '-c:v', 'ffv1', clip],
      ],
      120_000,
    );
    const report = tmp.file(`${name}.json`);
    const r = await runCli(
      [
        clip,
        tmp.file(`${name}-up.mkv`),
        '--model',
        'rvsr',
        '--scale',
        String(scale),
        '--reference',
        'self',
        '--report',
        report,
        '--codec',
        'ffv1',
      ],
      {
        timeoutMs: 600_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const psnr = readReport(report).frames.map((f) => f.srvid!.psnr);
    assert.equal(psnr.length, 2000);
    return { afterFirstSecond: mean(psnr.slice(25, 75)), atTheEnd: mean(psnr.slice(-50)), psnr };
  };

  /**
   * The long run of `longRun`, checked: within 0.1 dB at the end of its level after the first second; a pan
   * (`moving`) must also show other content in its middle, so that the past really moved.
   */
  const assertNoDecay = async (
    t: TestContext,
    name: string,
    crop: string,
    moving: boolean,
    options?: Parameters<typeof longRun>[2],
  ): Promise<void> => {
    const { afterFirstSecond, atTheEnd, psnr } = await longRun(name, crop, options);
    const middle = mean(psnr.slice(950, 1000));
    t.diagnostic(
      `PSNR-Y ${afterFirstSecond.toFixed(3)} dB over frames 25-74, ${middle.toFixed(3)} over 950-999, ${atTheEnd.toFixed(3)} over the last 50`,
    );
    if (moving) assert.ok(Math.abs(middle - afterFirstSecond) > 0.1, 'the middle of the pan shows other content');
    assert.ok(
      Math.abs(atTheEnd - afterFirstSecond) < 0.1,
      `PSNR-Y ${afterFirstSecond.toFixed(3)} dB after the first second, ${atTheEnd.toFixed(3)} dB at the end`,
    );
  };

  it('does not decay over 2,000 frames of a still scene with sensor noise', (t) => assertNoDecay(t, 'still', 'crop=128:96:16:0', false));

  // The window glides 32 pixels right and back (a cosine: one pixel every ~20 frames at its fastest), so the last
  // frames show what the first second showed, after 2,000 frames of a past that moved.
  it('does not decay over 2,000 frames of a slow pan with sensor noise that ends where it began', (t) =>
    assertNoDecay(t, 'pan', "crop=128:96:x='round(16*(1-cos(2*PI*n/1975)))':y=0", true));

  // x4 is the aligned, fused network: its past is moved by the estimated motion and its detail blended back in,
  // a loop with more to drift. A 256x192 window (64x48 input at x4) over a 320x192 picture, gliding 64 pixels.
  const X4 = { scale: 4, picture: 'crop=640:384:64:150,scale=320:192:flags=area' };

  it('x4 (aligned past) does not decay over 2,000 frames of a still scene with sensor noise', (t) =>
    assertNoDecay(t, 'still-x4', 'crop=256:192:32:0', false, X4));

  it('x4 (aligned past) does not decay over 2,000 frames of a slow pan with sensor noise that ends where it began', (t) =>
    assertNoDecay(t, 'pan-x4', "crop=256:192:x='round(32*(1-cos(2*PI*n/1975)))':y=0", true, X4));

  // The x2 runs above are 64x48 input pixels: one block of motion. The same 256x192 window at x2 is 128x96 input
  // pixels, 3 x 2 blocks, each estimated every frame. On a pan most blocks fit the whole frame's shift best, so
  // this is the loop with the blocks' estimate running, not a test that blocks move apart (the upscaler's unit
  // tests and the parity test cover that).
  it('x2 with a motion per block does not decay over 2,000 frames of a slow pan with sensor noise', (t) =>
    assertNoDecay(t, 'pan-blocks', "crop=256:192:x='round(32*(1-cos(2*PI*n/1975)))':y=0", true, { scale: 2, picture: X4.picture }));

  it('runs a segmented job (--resume): each segment starts from no past at its keyframe', async () => {
    // The sample with a keyframe every 25 frames (1 s): two segments of one second.
    const keyed = tmp.file('keyed.mp4');
    await ffmpeg(['-i', SAMPLE, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-keyint_min', '25', '-c:a', 'copy', keyed]);
    const out = tmp.file('seg.mp4');
    const r = await runCli([keyed, out, '--model', 'rvsr', '--resume', '--segment-seconds', '1', '--preset', 'ultrafast']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 segments/);
    assert.equal(await countVideoFrames(out), 50);
  });

  it('is refused in one line at a scale it is not trained for, and on TensorFlow.js', async () => {
    const x3 = await runCli([SAMPLE, tmp.file('x3.mp4'), '--model', 'rvsr', '--scale', '3']);
    assert.equal(x3.code, 2);
    assert.deepEqual(lines(x3.stderr), ['srvid: rvsr is trained for x2, x4 only; use --model sesr for x3']);
    const tfjs = await runCli([SAMPLE, tmp.file('tfjs.mp4'), '--model', 'rvsr', '--backend', 'tfjs']);
    assert.equal(tfjs.code, 2);
    assert.deepEqual(lines(tfjs.stderr), [
      'srvid: rvsr-x2 is a recurrent model, which srvid runs with onnxruntime only; leave out --backend tfjs',
    ]);
  });
});

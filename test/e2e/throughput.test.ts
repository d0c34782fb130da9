/**
 * The throughput machinery must not change the picture: frames upscaled by one worker or by several, whole or
 * in strips, come out the same; the light and int8 models are selectable; --stats says where the time went.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { decodePlanes } from '../helpers/planes.js';

const W = 160;
const H = 96;
const FRAMES = 12;
// Lossless x264, so the decoded output is exactly what the pipeline handed to the encoder.
const LOSSLESS = ['--scale', '2', '--crf', '0', '--preset', 'ultrafast', '-q'];

describe('workers, tiles and models', () => {
  let tmp: TempDir;
  let input: string;

  before(async () => {
    tmp = makeTempDir('throughput');
    input = await makeClip(tmp.file('in.mp4'), { width: W, height: H, frames: FRAMES });
  });

  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  const upscaledPlanes = async (name: string, extra: string[]) => {
    const out = tmp.file(name);
    const r = await runCli([input, out, ...LOSSLESS, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return (await decodePlanes(out, 2 * W, 2 * H)).frames;
  };

  it('one worker and three workers give identical frames, in order', async () => {
    const one = await upscaledPlanes('w1.mp4', ['--workers', '1', '--threads', '1']);
    const three = await upscaledPlanes('w3.mp4', ['--workers', '3', '--threads', '1']);
    assert.equal(one.length, FRAMES);
    assert.equal(three.length, FRAMES);
    for (let i = 0; i < FRAMES; i++) {
      for (let p = 0; p < 3; p++)
        assert.ok(Buffer.from(one[i]![p]!.buffer).equals(Buffer.from(three[i]![p]!.buffer)), `frame ${i} plane ${p} differs`);
    }
  });

  it('a frame in strips (--tile 4096: seven strips at 160 wide) matches the whole frame to the rounding', async () => {
    const whole = await upscaledPlanes('whole.mp4', ['--workers', '1', '--threads', '1']);
    const strips = await upscaledPlanes('strips.mp4', ['--workers', '1', '--threads', '1', '--tile', '4096']);
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < FRAMES; i++) {
      const [a, b] = [whole[i]![0]!, strips[i]![0]!];
      for (let k = 0; k < a.length; k++) {
        const d = Math.abs((a[k] as number) - (b[k] as number));
        worst = Math.max(worst, d);
        if (d) differing++;
      }
    }
    // Float sums in another order may move a sample that sits on .5 by one level; nothing more.
    assert.ok(worst <= 1, `largest Y difference ${worst}`);
    assert.ok(differing <= FRAMES * 4 * W * H * 1e-3, `${differing} samples differ`);
  });

  it('--model espcn-light upscales x2; for x3 it says to use espcn', async () => {
    const light = await upscaledPlanes('light.mp4', ['--model', 'espcn-light']);
    assert.equal(light.length, FRAMES);
    const r = await runCli([input, tmp.file('light-x3.mp4'), '--model', 'espcn-light', '--scale', '3']);
    assert.equal(r.code, 2);
    assert.deepEqual(lines(r.stderr), ['srvid: espcn-light is trained for x2 only; use --model sesr for x3']);
  });

  it('--model espcn-int8 upscales within a level or two of espcn', async () => {
    const float = await upscaledPlanes('float.mp4', ['--model', 'espcn']);
    const int8 = await upscaledPlanes('int8.mp4', ['--model', 'espcn-int8']);
    assert.equal(int8.length, FRAMES);
    let sq = 0;
    let n = 0;
    let differing = 0;
    for (let i = 0; i < FRAMES; i++) {
      const [a, b] = [float[i]![0]!, int8[i]![0]!];
      for (let k = 0; k < a.length; k++) {
        const d = (a[k] as number) - (b[k] as number);
        sq += d * d;
        n++;
        if (d) differing++;
      }
    }
    // A different network (8-bit activations, fine-tuned for them), so not equal; a broken graph is tens of levels off.
    assert.ok(differing > 0, 'int8 output is identical to float: the int8 model did not run');
    assert.ok(Math.sqrt(sq / n) < 1.5, `RMS Y difference ${Math.sqrt(sq / n)} levels`);
  });

  it('--stats prints the mean time per frame of every stage', async () => {
    const r = await runCli([input, tmp.file('stats.mp4'), '--scale', '2', '--stats', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const line = lines(r.stderr).at(-1) ?? '';
    const m =
      /^stages \(mean ms per frame, overlapping\): decode wait ([\d.]+), convert ([\d.]+), inference ([\d.]+), chroma ([\d.]+), quality ([\d.]+), encode wait ([\d.]+)$/.exec(
        line,
      );
    assert.ok(m, line);
    assert.ok(Number(m[3]) > 0, 'inference took no time');
    assert.equal(Number(m[5]), 0, 'no metrics were asked for');
  });
});

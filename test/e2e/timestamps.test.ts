/**
 * Timestamps survive the trip: decoder pipe → model → encoder pipe carries each frame's pts in milliseconds,
 * so the output's per-frame presentation times must equal the input's within 1 ms.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, runCli } from '../helpers/cli.js';
import { ffmpeg, makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { framePtsSeconds } from '../helpers/probe.js';

const TOLERANCE_S = 0.001 + 1e-9;

/** Index of the first frame whose time differs by more than 1 ms, or -1; lengths must match. */
const firstMismatch = (a: number[], b: number[]): number =>
  a.findIndex((t, i) => Math.abs(t - (b[i] ?? NaN)) > TOLERANCE_S || Number.isNaN(b[i] ?? NaN));

const assertSamePts = async (input: string, output: string): Promise<void> => {
  const pin = await framePtsSeconds(input);
  const pout = await framePtsSeconds(output);
  assert.ok(pin.length > 0, 'the input has no frames');
  assert.equal(pout.length, pin.length, `frame count: output ${pout.length}, input ${pin.length}`);
  const i = firstMismatch(pin, pout);
  assert.equal(
    i,
    -1,
    `frame ${i}: input pts ${pin[i]}s, output pts ${pout[i]}s\ninput:  ${pin.map((t) => t.toFixed(3)).join(' ')}\noutput: ${pout.map((t) => t.toFixed(3)).join(' ')}`,
  );
};

describe('timestamps', () => {
  let tmp: TempDir;
  let vfr: string;

  before(async () => {
    tmp = makeTempDir('timestamps');
    vfr = tmp.file('vfr.mkv');
    // Irregular gaps off the 40 ms grid (+53 ms after frame 5, +117 ms more after frame 12), kept at ms precision:
    // without -enc_time_base the encoder would itself round them to 1/25 s.
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=25',
      '-frames:v',
      '24',
      '-vf',
      "settb=1/1000,setpts='N*40/1000/TB + if(gt(N,5),0.053/TB,0) + if(gt(N,12),0.117/TB,0)'",
      '-fps_mode',
      'passthrough',
      '-enc_time_base',
      '1/1000',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      vfr,
    ]);
  });

  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('the VFR fixture really has irregular, off-grid gaps', async () => {
    const pts = await framePtsSeconds(vfr);
    const gaps = new Set(pts.slice(1).map((t, i) => Math.round((t - (pts[i] as number)) * 1000)));
    assert.deepEqual(
      [...gaps].sort((a, b) => a - b),
      [40, 93, 157],
    );
  });

  it('VFR mkv → mkv keeps every frame time within 1 ms', async () => {
    const out = tmp.file('vfr-out.mkv');
    const r = await runCli([vfr, out, '--scale', '2', '-q']);
    assert.equal(r.code, 0, r.stderr);
    await assertSamePts(vfr, out);
  });

  it('VFR mkv → mp4 keeps every frame time within 1 ms', async () => {
    const out = tmp.file('vfr-out.mp4');
    const r = await runCli([vfr, out, '--scale', '2', '-q']);
    assert.equal(r.code, 0, r.stderr);
    await assertSamePts(vfr, out);
  });

  it('a start time off the frame grid (1.5 s at 25 fps) is kept', async () => {
    const shifted = tmp.file('shifted.mkv');
    await makeClip(shifted, { frames: 12, extra: ['-output_ts_offset', '1.5'] });
    const pin = await framePtsSeconds(shifted);
    assert.ok(Math.abs((pin[0] ?? NaN) - 1.5) < 1e-6, `fixture starts at ${pin[0]}`);
    const out = tmp.file('shifted-out.mkv');
    const r = await runCli([shifted, out, '--scale', '2', '-q']);
    assert.equal(r.code, 0, r.stderr);
    await assertSamePts(shifted, out);
  });

  it('NTSC 30000/1001 mp4 → mp4 keeps frame times within 1 ms', async () => {
    const ntsc = tmp.file('ntsc.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=30000/1001',
      '-frames:v',
      '20',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      ntsc,
    ]);
    const out = tmp.file('ntsc-out.mp4');
    const r = await runCli([ntsc, out, '--scale', '2', '-q']);
    assert.equal(r.code, 0, r.stderr);
    await assertSamePts(ntsc, out);
  });
});

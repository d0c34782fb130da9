/**
 * The monitor's per-frame PSNR-Y and SSIM-Y agree with ffmpeg's own `psnr` and `ssim` filters on real
 * footage (the bundled sample, cropped to a size that is not a multiple of 4 so partial blocks count),
 * against a strongly compressed copy: within 0.01 dB and 0.001, frame by frame.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { blockSsim } from '../../src/quality/block-ssim.js';
import { psnr } from '../../src/quality/psnr.js';
import { ffmpeg, makeTempDir, type TempDir } from '../helpers/clips.js';
import { decodeLumaAsStored } from '../helpers/planes.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));
const W = 470;
const H = 354;

/** `key:value` fields of one stats-file line. */
const fields = (line: string): Record<string, string> =>
  Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split(':') as [string, string]),
  );

describe('quality math vs ffmpeg psnr/ssim filters', () => {
  let tmp: TempDir;
  before(() => (tmp = makeTempDir('metrics')));
  after(() => tmp.remove());

  it('agrees per frame within 0.01 dB (PSNR-Y) and 0.001 (SSIM-Y)', async (t) => {
    const ref = tmp.file('ref.mkv');
    const test = tmp.file('test.mkv');
    await ffmpeg([
      '-i',
      SAMPLE,
      '-vf',
      `crop=${W}:${H}:3:2,setpts=N/(10*TB)`,
      '-r',
      '10',
      '-frames:v',
      '12',
      '-c:v',
      'ffv1',
      '-pix_fmt',
      'yuv420p',
      ref,
    ]);
    await ffmpeg(['-i', ref, '-c:v', 'libx264', '-crf', '38', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', test]);
    const psnrLog = tmp.file('psnr.log');
    const ssimLog = tmp.file('ssim.log');
    await ffmpeg([
      '-i',
      test,
      '-i',
      ref,
      '-lavfi',
      `[0:v]setpts=PTS-STARTPTS,split[a][b];[1:v]setpts=PTS-STARTPTS,split[c][d];[a][c]psnr=stats_file=${psnrLog};[b][d]ssim=stats_file=${ssimLog}`,
      '-f',
      'null',
      '-',
    ]);
    const ffPsnr = readFileSync(psnrLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(fields(l).psnr_y));
    const ffSsim = readFileSync(ssimLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(fields(l).Y));
    const a = await decodeLumaAsStored(test, W, H);
    const b = await decodeLumaAsStored(ref, W, H);
    assert.equal(a.length, 12);
    assert.equal(ffPsnr.length, 12);
    assert.equal(ffSsim.length, 12);
    let worst = [0, 0];
    for (let i = 0; i < a.length; i++) {
      const p = psnr(a[i]!, b[i]!, W, H);
      const s = blockSsim(a[i]!, b[i]!, W, H);
      assert.ok(p > 20 && p < 45, `frame ${i}: PSNR ${p} should show real loss`);
      assert.ok(Math.abs(p - ffPsnr[i]!) <= 0.01, `frame ${i}: PSNR-Y ${p.toFixed(4)} vs ffmpeg ${ffPsnr[i]}`);
      assert.ok(Math.abs(s - ffSsim[i]!) <= 0.001, `frame ${i}: SSIM-Y ${s.toFixed(6)} vs ffmpeg ${ffSsim[i]}`);
      worst = [Math.max(worst[0]!, Math.abs(p - ffPsnr[i]!)), Math.max(worst[1]!, Math.abs(s - ffSsim[i]!))];
    }
    t.diagnostic(
      `largest differences from ffmpeg (which prints PSNR to 0.01 dB, SSIM to 1e-6): PSNR-Y ${worst[0]!.toFixed(4)} dB, SSIM-Y ${worst[1]!.toExponential(2)}`,
    );
  });
});

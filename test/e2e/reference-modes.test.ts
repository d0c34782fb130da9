/**
 * The two ground-truth modes on real footage: `--reference self` (the sample is the ground truth: the run
 * downscales, upscales and writes the reconstruction at the sample's size) and `--reference hr.mp4` (a
 * low-resolution copy upscaled and compared with the original by timestamp). srvid must beat bicubic in both.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, runCli } from '../helpers/cli.js';
import { ffmpeg, makeTempDir, type TempDir } from '../helpers/clips.js';
import { probe, videoOf } from '../helpers/probe.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));

interface Report {
  run: { mode: string; outputSize: { width: number; height: number }; crop: number; reference: string };
  summary: { frames: number; measured: number; srvid: { psnr: { mean: number } }; bicubic: { psnr: { mean: number } } };
  frames: { index: number; srvid: { psnr: number } | null }[];
}

describe('--reference', () => {
  let tmp: TempDir;
  before(() => (tmp = makeTempDir('reference')));
  after(async () => {
    tmp.remove();
    await killLeftovers(tmp.path);
  });

  it('self: reconstructs the input at its own size and beats bicubic on it', async () => {
    const out = tmp.file('self.mp4');
    const report = tmp.file('self.json');
    const r = await runCli([SAMPLE, out, '--reference', 'self', '--report', report, '--preset', 'ultrafast', '--crf', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /quality \(50 frames\): PSNR-Y [\d.]+ dB, bicubic [\d.]+ dB \(\+/);
    const v = videoOf(await probe(out));
    assert.deepEqual([v.width, v.height], [480, 360]);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as Report;
    assert.equal(rep.run.mode, 'self');
    assert.equal(rep.run.crop, 2);
    assert.equal(rep.summary.measured, 50);
    const gain = rep.summary.srvid.psnr.mean - rep.summary.bicubic.psnr.mean;
    assert.ok(gain > 0.5, `srvid ${rep.summary.srvid.psnr.mean} vs bicubic ${rep.summary.bicubic.psnr.mean}`);
  });

  it('a video: frames are paired by time and srvid beats bicubic against it; a wrong size is refused', async () => {
    const low = tmp.file('low.mp4');
    await ffmpeg(['-i', SAMPLE, '-vf', 'scale=240:180:flags=bicubic', '-c:v', 'libx264', '-crf', '0', '-preset', 'ultrafast', low]);
    const report = tmp.file('ref.json');
    const r = await runCli([low, tmp.file('ref.mp4'), '--reference', SAMPLE, '--report', report, '--preset', 'ultrafast']);
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as Report;
    assert.equal(rep.run.mode, 'reference');
    assert.equal(rep.summary.frames, 50);
    assert.equal(rep.summary.measured, 50, 'every frame found its reference frame');
    assert.ok(rep.summary.srvid.psnr.mean > rep.summary.bicubic.psnr.mean + 0.5, JSON.stringify(rep.summary));

    const wrong = await runCli([low, tmp.file('wrong.mp4'), '--scale', '3', '--reference', SAMPLE, '--report', tmp.file('w.json')]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^srvid: reference .* is 480x360 but the output is 720x540: give a reference at the output's size\n$/m);
  });
});

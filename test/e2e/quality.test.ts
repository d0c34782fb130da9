/**
 * srvid must beat bicubic on real footage: ground truth 384x288 from vtest.avi, LR 192x144 by bicubic
 * downscaling, srvid x2 and an ffmpeg bicubic x2 both at crf 0, compared on PSNR-Y (2 px border cropped).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { psnr } from '../../src/quality/psnr.js';
import { killLeftovers, runCli } from '../helpers/cli.js';
import { ffmpeg, makeTempDir, type TempDir } from '../helpers/clips.js';
import { decodeGray } from '../helpers/planes.js';

const VTEST = fileURLToPath(new URL('../../../shared/data/video/vtest.avi', import.meta.url));
const HR_W = 384;
const HR_H = 288;
const FRAMES = 8;
const SCALE = 2;

const meanPsnrY = (truth: Uint8Array[], test: Uint8Array[]): number => {
  assert.equal(test.length, truth.length, `frame count ${test.length} vs ground truth ${truth.length}`);
  const values = truth.map((t, i) => psnr(t, test[i]!, HR_W, HR_H, { crop: SCALE }));
  return values.reduce((a, b) => a + b, 0) / values.length;
};

describe(
  'quality on real footage (vtest.avi)',
  { skip: existsSync(VTEST) ? false : `${VTEST} is absent (shared data not checked out)` },
  () => {
    let tmp: TempDir;
    before(() => {
      tmp = makeTempDir('quality');
    });
    after(() => {
      killLeftovers(tmp.path);
      tmp.remove();
    });

    it('srvid x2 has a higher mean PSNR-Y than bicubic x2', async () => {
      const gt = tmp.file('gt.mkv');
      const lr = tmp.file('lr.mkv');
      const sr = tmp.file('sr.mkv');
      const bic = tmp.file('bicubic.mkv');
      // ffv1 is lossless, so ground truth and LR are exactly what the scalers produced.
      await ffmpeg([
        '-i',
        VTEST,
        '-frames:v',
        String(FRAMES),
        '-vf',
        `scale=${HR_W}:${HR_H}:flags=lanczos`,
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'ffv1',
        gt,
      ]);
      await ffmpeg(['-i', gt, '-vf', `scale=${HR_W / SCALE}:${HR_H / SCALE}:flags=bicubic`, '-pix_fmt', 'yuv420p', '-c:v', 'ffv1', lr]);
      const r = await runCli([lr, sr, '--scale', String(SCALE), '--crf', '0', '-q']);
      assert.equal(r.code, 0, r.stderr);
      await ffmpeg(['-i', lr, '-vf', `scale=${HR_W}:${HR_H}:flags=bicubic`, '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '0', bic]);

      const truth = await decodeGray(gt, HR_W, HR_H);
      assert.equal(truth.length, FRAMES);
      const srvid = meanPsnrY(truth, await decodeGray(sr, HR_W, HR_H));
      const bicubic = meanPsnrY(truth, await decodeGray(bic, HR_W, HR_H));
      console.log(
        `vtest ${FRAMES} frames x${SCALE}: PSNR-Y srvid ${srvid.toFixed(2)} dB, bicubic ${bicubic.toFixed(2)} dB (gain ${(srvid - bicubic).toFixed(2)} dB)`,
      );
      assert.ok(Number.isFinite(srvid) && Number.isFinite(bicubic));
      assert.ok(srvid > bicubic, `srvid ${srvid.toFixed(2)} dB is not above bicubic ${bicubic.toFixed(2)} dB`);
    });
  },
);

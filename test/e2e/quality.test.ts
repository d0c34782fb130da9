/**
 * srvid must beat bicubic on real footage: ground truth 384x288 from vtest.avi, LR 192x144 by bicubic
 * downscaling, srvid x2 and an ffmpeg bicubic x2 both at crf 0, compared on PSNR-Y (2 px border cropped).
 * And the default (consistency) mode's detail estimate is `--reference self`'s measurement of the same frames.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { formatQualityLine } from '../../src/monitor/format-quality.js';
import type { SummaryMessage } from '../../src/monitor/messages.js';
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

    it("consistency mode's detail estimate is the self protocol on every Nth frame; faithfulness is not called a gain", async () => {
      const count = 21;
      const gt = tmp.file('gt21.mkv');
      await ffmpeg([
        '-i',
        VTEST,
        '-frames:v',
        String(count),
        '-vf',
        `scale=${HR_W}:${HR_H}:flags=lanczos`,
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'ffv1',
        gt,
      ]);
      interface Pair {
        psnr: number;
        ssim: number;
      }
      interface Report {
        run: { mode: string; detailEvery: number | null };
        summary: SummaryMessage;
        frames: { index: number; srvid: Pair; bicubic: Pair; detail?: { srvid: Pair; bicubic: Pair } }[];
      }
      const report = async (name: string, extra: string[]): Promise<{ report: Report; stderr: string }> => {
        const r = await runCli([gt, tmp.file(`${name}.mkv`), '--preset', 'ultrafast', '--report', tmp.file(`${name}.json`), ...extra]);
        assert.equal(r.code, 0, r.stderr);
        return { report: JSON.parse(readFileSync(tmp.file(`${name}.json`), 'utf8')) as Report, stderr: r.stderr };
      };
      const self = (await report('self', ['--reference', 'self'])).report;
      const { report: cons, stderr } = await report('consistency', []);
      assert.equal(cons.run.mode, 'consistency');
      assert.equal(self.frames.length, count);

      // From here on the run must make detail estimates (shadow frames, on by default in consistency mode).
      const every = cons.run.detailEvery;
      assert.ok(Number.isInteger(every) && every! >= 1, `run.detailEvery is ${JSON.stringify(every)}`);
      const shadowed = cons.frames.filter((f) => f.detail);
      assert.deepEqual(
        shadowed.map((f) => f.index),
        Array.from({ length: count }, (_, i) => i).filter((i) => i % every! === 0),
      );
      // The same frame, downscaled the same way, through the same network: the same figures as self mode's
      // (up to the network's float rounding, which may move a sample by one).
      for (const f of shadowed) {
        const s = self.frames[f.index]!;
        for (const k of ['srvid', 'bicubic'] as const) {
          assert.ok(Math.abs(f.detail![k].psnr - s[k].psnr) < 0.01, `frame ${f.index} ${k}: ${f.detail![k].psnr} vs self ${s[k].psnr}`);
          assert.ok(Math.abs(f.detail![k].ssim - s[k].ssim) < 1e-4, `frame ${f.index} ${k}: ${f.detail![k].ssim} vs self ${s[k].ssim}`);
        }
      }
      const d = cons.summary.detail!;
      assert.equal(d.frames, shadowed.length);
      const detailGain = d.srvid.psnr.mean! - d.bicubic.psnr.mean!;
      const faithfulnessGap = cons.summary.srvid.psnr.mean! - cons.summary.bicubic.psnr.mean!;
      console.log(
        `vtest ${count} frames x${SCALE}, consistency mode: detail estimate ${detailGain.toFixed(2)} dB over bicubic ` +
          `(${d.frames} frames), faithfulness gap ${faithfulnessGap.toFixed(2)} dB; shadow ${d.costMs.toFixed(1)} ms a shadow frame`,
      );
      assert.ok(detailGain > 0, `srvid's detail estimate is not above bicubic: ${detailGain.toFixed(2)} dB`);
      assert.ok(faithfulnessGap > detailGain, 'faithfulness to the input is the larger, and the wrong, figure to call a gain');
      // The final line: the detail estimate first, and faithfulness with no difference.
      const line = formatQualityLine(cons.summary, { mode: 'consistency', scale: SCALE })!;
      assert.ok(stderr.includes(`${line}\n`), `no line\n${line}\nin\n${stderr}`);
      assert.doesNotMatch(line, new RegExp(`\\${faithfulnessGap >= 0 ? '+' : '-'}${Math.abs(faithfulnessGap).toFixed(2)}`));
    });
  },
);

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { evaluateImages } from '../src/api/evaluate-images.js';
import { lines, runCli } from './helpers/cli.js';

const SET5 = new URL('../../shared/data/val/Set5/', import.meta.url).pathname;
const SET14 = new URL('../../shared/data/val/Set14/', import.meta.url).pathname;
// Published bicubic PSNR-Y on Set5 (SRCNN/ESPCN/FSRCNN papers).
const PUBLISHED_BICUBIC: Record<number, number> = { 2: 33.66, 3: 30.39, 4: 28.42 };
// The project's bar for the shipped weights (ESPCN's published level); they measure 36.556 / 32.545 / 30.322
// on Set5 and 32.412 / 29.221 / 27.419 on Set14.
const BAR: Record<string, Record<number, number>> = { Set5: { 2: 36.4, 3: 32.5, 4: 30.2 }, Set14: { 2: 32.2, 3: 29.0, 4: 27.4 } };

describe('srvid eval protocol', () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'srvid-eval-'));
    // A 1-pixel black/white checkerboard: Y alternates 16/235, the antialiased LR is flat grey (Y≈125.5),
    // so bicubic cannot restore anything: errors of ~110 levels everywhere, PSNR ≈ 7.3 dB.
    const n = 48;
    const px = Buffer.alloc(n * n * 3);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) px.fill(((x + y) % 2) * 255, (y * n + x) * 3, (y * n + x) * 3 + 3);
    await sharp(px, { raw: { width: n, height: n, channels: 3 } })
      .png()
      .toFile(join(dir, 'checker.png'));
    // An odd-sized image: mod-cropped to a multiple of the scale before anything else.
    await sharp({ create: { width: 31, height: 23, channels: 3, background: { r: 200, g: 60, b: 20 } } })
      .png()
      .toFile(join(dir, 'odd.png'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('measures the checkerboard at the value the protocol predicts, and mod-crops odd sizes', async () => {
    const r = await evaluateImages({ dir, scale: 3 });
    const checker = r.rows.find((x) => x.image === 'checker');
    const odd = r.rows.find((x) => x.image === 'odd');
    assert.ok(checker && odd);
    assert.deepEqual([odd.width, odd.height], [30, 21]);
    assert.equal(odd.bicubic.psnr, Infinity); // a flat colour survives down- and up-scaling exactly
    const mse = (110 ** 2 + 109 ** 2) / 2; // |235 - 125| and |16 - 125| (or 126): the LR grey rounds to one of them
    const predicted = 10 * Math.log10(255 ** 2 / mse);
    assert.ok(Math.abs(checker.bicubic.psnr - predicted) < 0.3, `bicubic ${checker.bicubic.psnr} vs predicted ${predicted}`);
    assert.ok(checker.bicubic.ssim < 0.1);
  });

  it(
    'reproduces the published bicubic PSNR on Set5 within 0.1 dB, and the shipped models reach the bar',
    { skip: !existsSync(SET5) && 'needs ../shared/data/val/Set5' },
    async (t) => {
      for (const scale of [2, 3, 4]) {
        const r = await evaluateImages({ dir: SET5, scale });
        assert.equal(r.rows.length, 5);
        const published = PUBLISHED_BICUBIC[scale] as number;
        assert.ok(
          Math.abs(r.mean.bicubic.psnr - published) < 0.1,
          `x${scale}: bicubic ${r.mean.bicubic.psnr.toFixed(3)} vs published ${published}`,
        );
        t.diagnostic(`x${scale}: bicubic ${r.mean.bicubic.psnr.toFixed(3)} dB, srvid ${r.mean.srvid.psnr.toFixed(3)} dB`);
        const bar = BAR.Set5![scale] as number;
        assert.ok(r.mean.srvid.psnr >= bar, `x${scale}: srvid ${r.mean.srvid.psnr.toFixed(3)} dB, below the bar ${bar}`);
        assert.ok(r.mean.srvid.ssim > r.mean.bicubic.ssim);
        // bicubic blurs: less detail than the truth; the network restores part of it
        assert.ok(r.mean.bicubic.sharpness < 0.9 && r.mean.srvid.sharpness > r.mean.bicubic.sharpness, JSON.stringify(r.mean));
      }
    },
  );

  it('the shipped models reach the bar on Set14 too', { skip: !existsSync(SET14) && 'needs ../shared/data/val/Set14' }, async () => {
    for (const scale of [2, 3, 4]) {
      const r = await evaluateImages({ dir: SET14, scale });
      assert.equal(r.rows.length, 14);
      const bar = BAR.Set14![scale] as number;
      assert.ok(r.mean.srvid.psnr >= bar, `x${scale}: srvid ${r.mean.srvid.psnr.toFixed(3)} dB, below the bar ${bar}`);
    }
  });

  it('srvid eval prints each image and the mean: PSNR, SSIM and sharpness for bicubic and the model, as the library measures them', async () => {
    const lib = await evaluateImages({ dir, scale: 2 });
    const r = await runCli(['eval', dir, '--scale', '2']);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.match(out[0] ?? '', /x2, model sesr-x2: PSNR-Y \(dB\) \/ SSIM-Y \/ sharpness \(gradient ratio, the truth = 1\)/);
    const checker = out.find((l) => l.startsWith('checker'));
    const c = lib.rows.find((row) => row.image === 'checker')!;
    // a 1-pixel checkerboard has no Sobel gradient (its taps cancel): sharpness is undefined, printed as –
    const cell = (q: { psnr: number; ssim: number; sharpness: number }): string =>
      `${q.psnr.toFixed(2)} / ${q.ssim.toFixed(4)} / ${Number.isFinite(q.sharpness) ? q.sharpness.toFixed(2) : '   –'}`;
    assert.ok(checker?.includes(cell(c.bicubic)) && checker.includes(cell(c.srvid)), `${checker} vs ${JSON.stringify(c)}`);
    assert.match(out.at(-1) ?? '', /^mean\s/);
  });
});

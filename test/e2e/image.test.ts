/** Still images through the CLI: `srvid in.png out.png --scale N`, png/jpg/webp, alpha kept, better than bicubic. */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { rgbToY } from '../../src/image/color.js';
import { resizeInterleaved as rgbResize } from '../../src/image/resize.js';
import { psnr } from '../../src/quality/psnr.js';
import { lines, runCli } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from '../helpers/clips.js';

const BUTTERFLY = fileURLToPath(new URL('../../../shared/data/val/Set5/butterfly.png', import.meta.url));

const readRgb = async (path: string) => {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
};

describe('image upscaling', () => {
  let tmp: TempDir;
  before(() => {
    tmp = makeTempDir('image');
  });
  after(() => tmp.remove());

  it(
    'upscales a PNG x2 with a higher PSNR-Y than bicubic',
    { skip: !existsSync(BUTTERFLY) && 'needs ../shared/data/val/Set5' },
    async () => {
      const hr = await readRgb(BUTTERFLY);
      const [lw, lh] = [hr.width / 2, hr.height / 2];
      const lrPath = tmp.file('lr.png');
      const lr = rgbResize(hr.data, hr.width, hr.height, lw, lh);
      await sharp(lr, { raw: { width: lw, height: lh, channels: 3 } })
        .png()
        .toFile(lrPath);
      const out = tmp.file('sr.png');
      const r = await runCli([lrPath, out, '--scale', '2']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(lines(r.stderr), [`wrote ${out} (${hr.width}x${hr.height})`]);
      const sr = await readRgb(out);
      assert.deepEqual([sr.width, sr.height], [hr.width, hr.height]);
      const y = (d: Uint8Array) => rgbToY(d, hr.width * hr.height);
      const bicubic = rgbResize(lr, lw, lh, hr.width, hr.height);
      const pSr = psnr(y(sr.data), y(hr.data), hr.width, hr.height, { crop: 2 });
      const pBic = psnr(y(bicubic), y(hr.data), hr.width, hr.height, { crop: 2 });
      assert.ok(pSr > pBic + 1, `srvid ${pSr.toFixed(2)} dB vs bicubic ${pBic.toFixed(2)} dB`);
    },
  );

  it('writes jpg and webp by extension and keeps an alpha channel', async () => {
    const rgba = tmp.file('rgba.png');
    await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 10, g: 200, b: 90, alpha: 0.5 } } })
      .png()
      .toFile(rgba);
    for (const ext of ['jpg', 'webp', 'png']) {
      const out = tmp.file(`out.${ext}`);
      const r = await runCli([rgba, out, '--scale', '3', '-q']);
      assert.equal(r.code, 0, r.stderr);
      const meta = await sharp(out).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], [ext === 'jpg' ? 'jpeg' : ext, 120, 90]);
      if (ext === 'png') {
        assert.equal(meta.channels, 4);
        const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
        assert.ok(Math.abs((data[3] as number) - 128) <= 1, `alpha ${data[3]}`);
      }
    }
  });

  it('refuses image/video mixes and stdin/stdout for images, before doing anything', async () => {
    const src = tmp.file('mix.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toFile(src);
    const cases: [string[], RegExp][] = [
      [[src, '-'], /^srvid: images are read from and written to files/],
      [['-', tmp.file('o.png')], /^srvid: images are read from and written to files/],
      [[src, tmp.file('o.mp4')], /^srvid: .*mix\.png is an image: give an image output/],
      [[tmp.file('in.mp4'), tmp.file('o.png')], /^srvid: .*o\.png is an image, but .*in\.mp4 is not/],
      // sharp neither reads nor writes BMP: refused by name before any reading or upscaling.
      [
        [src, tmp.file('o.bmp')],
        /^srvid: .*o\.bmp: BMP images cannot be read or written here \(sharp has no BMP support\); convert to PNG first/,
      ],
      [[tmp.file('in.bmp'), tmp.file('o.png')], /^srvid: .*in\.bmp: BMP images cannot be read or written here/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    }
  });

  it('refuses to overwrite without -y, and says when the input is not an image', async () => {
    const src = tmp.file('small.png');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toFile(src);
    const out = tmp.file('exists.png');
    await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } })
      .png()
      .toFile(out);
    const r = await runCli([src, out]);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr), [`srvid: ${out} already exists; pass -y to overwrite it`]);
    const bogus = tmp.file('bogus.png');
    writeFileSync(bogus, 'not an image\n');
    const bad = await runCli([bogus, tmp.file('o.png')]);
    assert.equal(bad.code, 1);
    assert.match(lines(bad.stderr).join('\n'), /^srvid: .*bogus\.png: cannot read it as an image/);
    assert.equal(lines(bad.stderr).length, 1);
  });
});

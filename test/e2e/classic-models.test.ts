/**
 * The classic networks shipped for comparison (issue #25), through the CLI and the library API on small
 * inputs: an image and a video each, and the one-line refusals (a scale the family is not trained for, a
 * runtime that cannot run its graph).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { upscaleImage, upscaleVideo, type UpscaleVideoResult } from 'srvid';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { ffmpeg, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames, probe, videoOf } from '../helpers/probe.js';

const VIDEO = new URL('../../../shared/data/video/vtest.avi', import.meta.url).pathname;
const IMAGE = new URL('../../../shared/data/val/Set5/butterfly.png', import.meta.url).pathname;

let tmp: TempDir;
before(() => {
  tmp = makeTempDir('classic');
});
after(async () => {
  tmp.remove();
  await killLeftovers(tmp.path);
});

/** `frames` frames of the real clip, `width` pixels wide, lossless. */
const smallClip = async (width: number, frames: number): Promise<string> => {
  const clip = tmp.file(`small-${width}.mkv`);
  await ffmpeg(['-i', VIDEO, '-vf', `scale=${width}:-2`, '-frames:v', String(frames), '-c:v', 'ffv1', clip]);
  return clip;
};

/** PSNR-Y of the run's output over bicubic's, both against the run's reference. */
const gainOverBicubic = (video: UpscaleVideoResult): number =>
  (video.quality?.srvid.psnr.mean ?? 0) - (video.quality?.bicubic.psnr.mean ?? Infinity);

/** The CLI's stderr for a request it must refuse: exit 2 and one line. */
const refusal = async (args: string[]): Promise<string> => {
  const r = await runCli(args);
  assert.equal(r.code, 2);
  assert.equal(lines(r.stderr).length, 1, r.stderr);
  return r.stderr;
};

describe('--model srcnn', () => {
  let clip: string;
  before(async () => {
    clip = await smallClip(192, 6);
  });

  it('upscales an image and a video from the command line', async () => {
    const png = tmp.file('srcnn-b.png');
    const r = await runCli([IMAGE, png, '--model', 'srcnn']);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [512, 512]);
    const out = tmp.file('srcnn-v.mp4');
    const v = await runCli([clip, out, '--model', 'srcnn', '--preset', 'ultrafast']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /srcnn-x2/);
    assert.deepEqual([videoOf(await probe(out)).width, await countVideoFrames(out)], [384, 6]);
  });

  it('upscales x3 and x4 too: images from the command line and the library API, a video through the library API', async () => {
    const png = tmp.file('srcnn-b3.png');
    const r = await runCli([IMAGE, png, '--model', 'srcnn', '--scale', '3']);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [768, 768]);
    const x4 = await upscaleImage({ input: IMAGE, output: tmp.file('srcnn-b4.png'), scale: 4, model: 'srcnn' });
    assert.deepEqual([x4.width, x4.height], [1024, 1024]);
    const video = await upscaleVideo({ input: clip, output: tmp.file('srcnn-lib3.mkv'), scale: 3, model: 'srcnn', preset: 'ultrafast' });
    assert.deepEqual([video.frames, video.run.model], [6, 'srcnn-x3']);
  });

  it('upscales an image and a video through the library API, and beats bicubic on the image', async () => {
    const image = await upscaleImage({ input: IMAGE, output: tmp.file('srcnn-lib.png'), scale: 2, model: 'srcnn' });
    assert.equal(image.width, 512);
    const video = await upscaleVideo({
      input: clip,
      output: tmp.file('srcnn-lib.mkv'),
      scale: 2,
      model: 'srcnn',
      reference: 'self',
      preset: 'ultrafast',
    });
    assert.equal(video.frames, 6);
    assert.ok(gainOverBicubic(video) > 0.3, JSON.stringify(video.quality));
  });

  it('is refused in one line on TensorFlow.js', async () => {
    const tfjs = await refusal([IMAGE, tmp.file('srcnn-tfjs.png'), '--model', 'srcnn', '--backend', 'tfjs']);
    assert.match(tfjs, /^srvid: srcnn-x2 is not a plain chain of convolutions the tfjs backend runs .*; use --backend onnx\n$/);
  });
});

describe('--model unet', () => {
  let clip: string;
  before(async () => {
    clip = await smallClip(96, 4);
  });

  it('upscales an image and a video x4 from the command line', async () => {
    const png = tmp.file('unet-b.png');
    const r = await runCli([IMAGE, png, '--model', 'unet', '--scale', '4']);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [1024, 1024]);
    const out = tmp.file('unet-v.mp4');
    const v = await runCli([clip, out, '--model', 'unet', '--scale', '4', '--preset', 'ultrafast']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /unet-x4/);
    assert.deepEqual([videoOf(await probe(out)).width, await countVideoFrames(out)], [384, 4]);
  });

  it('upscales a video through the library API and beats bicubic on it', async () => {
    const video = await upscaleVideo({
      input: clip,
      output: tmp.file('unet-lib.mkv'),
      scale: 4,
      model: 'unet',
      reference: 'self',
      preset: 'ultrafast',
    });
    assert.equal(video.frames, 4);
    assert.ok(gainOverBicubic(video) > 0.3, JSON.stringify(video.quality));
  });

  it('is refused in one line at a scale it is not trained for, and on TensorFlow.js', async () => {
    const x2 = await refusal([IMAGE, tmp.file('unet-x2.png'), '--model', 'unet', '--scale', '2']);
    assert.deepEqual(lines(x2), ['srvid: unet is trained for x4 only; use --model sesr for x2']);
    const tfjs = await refusal([IMAGE, tmp.file('unet-tfjs.png'), '--model', 'unet', '--scale', '4', '--backend', 'tfjs']);
    assert.match(tfjs, /^srvid: unet-x4 is not a plain chain of convolutions the tfjs backend runs .*; use --backend onnx\n$/);
  });
});

describe('--model vdsr', () => {
  let clip: string;
  before(async () => {
    clip = await smallClip(96, 3);
  });

  it('upscales an image from the command line and through the library API, one network at x2, x3 and x4', async () => {
    const png = tmp.file('vdsr-b.png');
    const r = await runCli([IMAGE, png, '--model', 'vdsr']);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [512, 512]);
    for (const scale of [3, 4]) {
      const image = await upscaleImage({ input: IMAGE, output: tmp.file(`vdsr-lib${scale}.png`), scale, model: 'vdsr' });
      assert.deepEqual([image.width, image.height], [256 * scale, 256 * scale]);
    }
  });

  it('upscales a video from the command line and through the library API, and beats bicubic on it', async () => {
    const out = tmp.file('vdsr-v.mp4');
    const v = await runCli([clip, out, '--model', 'vdsr', '--scale', '3', '--preset', 'ultrafast']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /vdsr-x3/);
    assert.deepEqual([videoOf(await probe(out)).width, await countVideoFrames(out)], [288, 3]);
    const video = await upscaleVideo({
      input: clip,
      output: tmp.file('vdsr-lib.mkv'),
      scale: 2,
      model: 'vdsr',
      reference: 'self',
      preset: 'ultrafast',
    });
    assert.equal(video.frames, 3);
    assert.ok(gainOverBicubic(video) > 0.3, JSON.stringify(video.quality));
  });

  it('is refused in one line on TensorFlow.js', async () => {
    const tfjs = await refusal([IMAGE, tmp.file('vdsr-tfjs.png'), '--model', 'vdsr', '--backend', 'tfjs']);
    assert.match(tfjs, /^srvid: vdsr-x2 is not a plain chain of convolutions the tfjs backend runs .*; use --backend onnx\n$/);
  });
});

/** Sharpness of a grey picture: its mean gradient magnitude (central differences). */
const meanGradient = async (png: string): Promise<number> => {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let y = 1; y < info.height - 1; y++) {
    for (let x = 1; x < info.width - 1; x++) {
      const i = y * info.width + x;
      sum += Math.hypot(
        (data[i + 1] as number) - (data[i - 1] as number),
        (data[i + info.width] as number) - (data[i - info.width] as number),
      );
    }
  }
  return sum / ((info.width - 2) * (info.height - 2));
};

for (const family of ['srresnet', 'srgan'] as const) {
  describe(`--model ${family}`, () => {
    let clip: string;
    before(async () => {
      clip = await smallClip(64, 3);
    });

    it('upscales an image and a video x4 from the command line, and a video through the library API', async () => {
      const png = tmp.file(`${family}-b.png`);
      const r = await runCli([IMAGE, png, '--model', family, '--scale', '4']);
      assert.equal(r.code, 0, r.stderr);
      const meta = await sharp(png).metadata();
      assert.deepEqual([meta.width, meta.height], [1024, 1024]);
      const out = tmp.file(`${family}-v.mp4`);
      const v = await runCli([clip, out, '--model', family, '--scale', '4', '--preset', 'ultrafast']);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stderr, new RegExp(`${family}-x4`));
      assert.deepEqual([videoOf(await probe(out)).width, await countVideoFrames(out)], [256, 3]);
      const video = await upscaleVideo({
        input: clip,
        output: tmp.file(`${family}-lib.mkv`),
        scale: 4,
        model: family,
        reference: 'self',
        preset: 'ultrafast',
      });
      assert.equal(video.frames, 3);
      if (family === 'srresnet') assert.ok(gainOverBicubic(video) > 0.3, JSON.stringify(video.quality));
    });

    it('is refused in one line at a scale it is not trained for', async () => {
      const x2 = await refusal([IMAGE, tmp.file(`${family}-x2.png`), '--model', family, '--scale', '2']);
      assert.deepEqual(lines(x2), [`srvid: ${family} is trained for x4 only; use --model sesr for x2`]);
    });
  });
}

it('srgan draws more detail than srresnet, its PSNR-trained twin, on the same image', async () => {
  const [srresnet, srgan] = [tmp.file('srresnet-b.png'), tmp.file('srgan-b.png')];
  for (const [family, png] of [
    ['srresnet', srresnet],
    ['srgan', srgan],
  ] as const) {
    if (!existsSync(png)) await upscaleImage({ input: IMAGE, output: png, scale: 4, model: family });
  }
  const [a, b] = [await meanGradient(srresnet), await meanGradient(srgan)];
  assert.ok(b > a * 1.05, `mean gradient srgan ${b.toFixed(2)}, srresnet ${a.toFixed(2)}`);
});

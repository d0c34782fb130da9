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
import { meanGradient } from '../../src/quality/sharpness.js';
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

/** Upscales the Set5 image through the CLI into `png` (`args`: model and scale) and checks its size. */
const cliImage = async (png: string, args: string[], side: number): Promise<void> => {
  const r = await runCli([IMAGE, png, ...args]);
  assert.equal(r.code, 0, r.stderr);
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.width, meta.height], [side, side]);
};

/** Upscales `clip` through the CLI into `out`; checks the model it names, the width and the frame count. */
const cliVideo = async (clip: string, out: string, args: string[], model: string, width: number, frames: number): Promise<void> => {
  const v = await runCli([clip, out, ...args, '--preset', 'ultrafast']);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr, new RegExp(model));
  assert.deepEqual([videoOf(await probe(out)).width, await countVideoFrames(out)], [width, frames]);
};

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
    await cliImage(tmp.file('srcnn-b.png'), ['--model', 'srcnn'], 512);
    await cliVideo(clip, tmp.file('srcnn-v.mp4'), ['--model', 'srcnn'], 'srcnn-x2', 384, 6);
  });

  it('upscales x3 and x4 too: images from the command line and the library API, a video through the library API', async () => {
    await cliImage(tmp.file('srcnn-b3.png'), ['--model', 'srcnn', '--scale', '3'], 768);
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
    await cliImage(tmp.file('unet-b.png'), ['--model', 'unet', '--scale', '4'], 1024);
    await cliVideo(clip, tmp.file('unet-v.mp4'), ['--model', 'unet', '--scale', '4'], 'unet-x4', 384, 4);
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
    await cliImage(tmp.file('vdsr-b.png'), ['--model', 'vdsr'], 512);
    for (const scale of [3, 4]) {
      const image = await upscaleImage({ input: IMAGE, output: tmp.file(`vdsr-lib${scale}.png`), scale, model: 'vdsr' });
      assert.deepEqual([image.width, image.height], [256 * scale, 256 * scale]);
    }
  });

  it('upscales a video from the command line and through the library API, and beats bicubic on it', async () => {
    await cliVideo(clip, tmp.file('vdsr-v.mp4'), ['--model', 'vdsr', '--scale', '3'], 'vdsr-x3', 288, 3);
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

/** The mean Sobel gradient of a picture's grey plane (the measure `srvid eval`'s sharpness is made of). */
const gradientOf = async (png: string): Promise<number> => {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  return meanGradient(data, info.width, info.height);
};

for (const family of ['srresnet', 'srgan'] as const) {
  describe(`--model ${family}`, () => {
    let clip: string;
    before(async () => {
      clip = await smallClip(64, 3);
    });

    it('upscales an image and a video x4 from the command line, and a video through the library API', async () => {
      await cliImage(tmp.file(`${family}-b.png`), ['--model', family, '--scale', '4'], 1024);
      await cliVideo(clip, tmp.file(`${family}-v.mp4`), ['--model', family, '--scale', '4'], `${family}-x4`, 256, 3);
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
  const [a, b] = [await gradientOf(srresnet), await gradientOf(srgan)];
  assert.ok(b > a * 1.05, `mean gradient srgan ${b.toFixed(2)}, srresnet ${a.toFixed(2)}`);
});

/**
 * The classic networks shipped for comparison (issue #25), through the CLI and the library API on small
 * inputs: an image and a video each, and the one-line refusals (a scale the family is not trained for, a
 * runtime that cannot run its graph).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { upscaleImage, upscaleVideo } from 'srvid';
import sharp from 'sharp';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { ffmpeg, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames, probe, videoOf } from '../helpers/probe.js';

const VIDEO = new URL('../../../shared/data/video/vtest.avi', import.meta.url).pathname;
const IMAGE = new URL('../../../shared/data/val/Set5/butterfly.png', import.meta.url).pathname;

describe('--model srcnn', () => {
  let tmp: TempDir;
  let clip: string;
  before(async () => {
    tmp = makeTempDir('classic');
    clip = tmp.file('small.mkv');
    await ffmpeg(['-i', VIDEO, '-vf', 'scale=192:-2', '-frames:v', '6', '-c:v', 'ffv1', clip]);
  });
  after(async () => {
    tmp.remove();
    await killLeftovers(tmp.path);
  });

  it('upscales an image and a video from the command line', async () => {
    const png = tmp.file('b.png');
    const r = await runCli([IMAGE, png, '--model', 'srcnn']);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [512, 512]);
    const out = tmp.file('v.mp4');
    const v = await runCli([clip, out, '--model', 'srcnn', '--preset', 'ultrafast']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /srcnn-x2/);
    assert.deepEqual([videoOf(await probe(out)).width, await countVideoFrames(out)], [384, 6]);
  });

  it('upscales x3 too: an image from the command line, a video through the library API', async () => {
    const png = tmp.file('b3.png');
    const r = await runCli([IMAGE, png, '--model', 'srcnn', '--scale', '3']);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [768, 768]);
    const video = await upscaleVideo({ input: clip, output: tmp.file('lib3.mkv'), scale: 3, model: 'srcnn', preset: 'ultrafast' });
    assert.deepEqual([video.frames, video.run.model], [6, 'srcnn-x3']);
  });

  it('upscales an image and a video through the library API, and beats bicubic on the image', async () => {
    const image = await upscaleImage({ input: IMAGE, output: tmp.file('lib.png'), scale: 2, model: 'srcnn' });
    assert.equal(image.width, 512);
    const video = await upscaleVideo({
      input: clip,
      output: tmp.file('lib.mkv'),
      scale: 2,
      model: 'srcnn',
      reference: 'self',
      preset: 'ultrafast',
    });
    assert.equal(video.frames, 6);
    const gain = (video.quality?.srvid.psnr.mean ?? 0) - (video.quality?.bicubic.psnr.mean ?? Infinity);
    assert.ok(gain > 0.3, JSON.stringify(video.quality));
  });

  it('is refused in one line at a scale it is not trained for, and on TensorFlow.js', async () => {
    const x4 = await runCli([IMAGE, tmp.file('x4.png'), '--model', 'srcnn', '--scale', '4']);
    assert.equal(x4.code, 2);
    assert.deepEqual(lines(x4.stderr), ['srvid: srcnn is trained for x2, x3 only; use --model sesr for x4']);
    const tfjs = await runCli([IMAGE, tmp.file('tfjs.png'), '--model', 'srcnn', '--backend', 'tfjs']);
    assert.equal(tfjs.code, 2);
    assert.equal(lines(tfjs.stderr).length, 1);
    assert.match(tfjs.stderr, /^srvid: srcnn-x2 is not a plain chain of convolutions the tfjs backend runs .*; use --backend onnx\n$/);
  });
});

describe('--model unet', () => {
  let tmp: TempDir;
  let clip: string;
  before(async () => {
    tmp = makeTempDir('classic-unet');
    clip = tmp.file('small.mkv');
    await ffmpeg(['-i', VIDEO, '-vf', 'scale=96:-2', '-frames:v', '4', '-c:v', 'ffv1', clip]);
  });
  after(async () => {
    tmp.remove();
    await killLeftovers(tmp.path);
  });

  it('upscales an image and a video x4 from the command line', async () => {
    const png = tmp.file('b.png');
    const r = await runCli([IMAGE, png, '--model', 'unet', '--scale', '4']);
    assert.equal(r.code, 0, r.stderr);
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.width, meta.height], [1024, 1024]);
    const out = tmp.file('v.mp4');
    const v = await runCli([clip, out, '--model', 'unet', '--scale', '4', '--preset', 'ultrafast']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /unet-x4/);
    assert.deepEqual([videoOf(await probe(out)).width, await countVideoFrames(out)], [384, 4]);
  });

  it('upscales a video through the library API and beats bicubic on it', async () => {
    const video = await upscaleVideo({
      input: clip,
      output: tmp.file('lib.mkv'),
      scale: 4,
      model: 'unet',
      reference: 'self',
      preset: 'ultrafast',
    });
    assert.equal(video.frames, 4);
    const gain = (video.quality?.srvid.psnr.mean ?? 0) - (video.quality?.bicubic.psnr.mean ?? Infinity);
    assert.ok(gain > 0.3, JSON.stringify(video.quality));
  });

  it('is refused in one line at a scale it is not trained for, and on TensorFlow.js', async () => {
    const x2 = await runCli([IMAGE, tmp.file('x2.png'), '--model', 'unet', '--scale', '2']);
    assert.equal(x2.code, 2);
    assert.deepEqual(lines(x2.stderr), ['srvid: unet is trained for x4 only; use --model sesr for x2']);
    const tfjs = await runCli([IMAGE, tmp.file('tfjs.png'), '--model', 'unet', '--scale', '4', '--backend', 'tfjs']);
    assert.equal(tfjs.code, 2);
    assert.equal(lines(tfjs.stderr).length, 1);
    assert.match(tfjs.stderr, /^srvid: unet-x4 is not a plain chain of convolutions the tfjs backend runs .*; use --backend onnx\n$/);
  });
});

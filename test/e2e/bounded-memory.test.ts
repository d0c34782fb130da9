/**
 * Library level: createFrameSource holds at most `highWater` frames in flight however slow the consumer is,
 * emits every frame in order with increasing timestamps, and stops the decoder when unsubscribed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Subscription } from 'rxjs';
import { createFrameSource } from '../../src/ingest/create-frame-source.js';
import { resolveFfmpeg } from '../../src/ffmpeg/resolve-ffmpeg.js';
import type { Frame } from '../../src/pipeline/frame.js';
import { killLeftovers, processesMentioning, waitUntilGone } from '../helpers/cli.js';
import { FFMPEG, FFPROBE, makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';

const W = 192;
const H = 128;
const FRAMES = 40;
const HIGH_WATER = 3;

describe('createFrameSource: bounded frames in flight', () => {
  let tmp: TempDir;
  let input: string;
  let ffmpegMajor: number;
  let ffmpeg: string;

  before(async () => {
    tmp = makeTempDir('bounded');
    input = await makeClip(tmp.file('clip.mp4'), { width: W, height: H, frames: FRAMES });
    const tools = await resolveFfmpeg({ ffmpeg: FFMPEG, ffprobe: FFPROBE });
    ffmpeg = tools.ffmpeg;
    ffmpegMajor = tools.major;
  });

  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  const makeSource = () =>
    createFrameSource({
      ffmpeg,
      ffmpegMajor,
      input,
      videoStreamIndex: 0,
      strict: true,
      format: { width: W, height: H, pixFmt: 'yuv420p' },
      highWater: HIGH_WATER,
    });

  it(`never holds more than ${HIGH_WATER} frames for a slow consumer, and emits all ${FRAMES} in order`, async () => {
    const source = makeSource();
    const inFlightAtEmission: number[] = [];
    const frames: { index: number; ptsMs: number | null; bytes: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      source.frames().subscribe({
        next: (frame: Frame) => {
          inFlightAtEmission.push(source.inFlight());
          frames.push({ index: frame.index, ptsMs: frame.ptsMs, bytes: frame.bytes.byteLength });
          // A slow consumer: each frame is released 15 ms later.
          setTimeout(() => source.release(frame), 15);
        },
        error: reject,
        complete: resolve,
      });
    });
    // Let the last releases run before reading the counter.
    await new Promise((r) => setTimeout(r, 50));

    assert.equal(frames.length, FRAMES);
    const maxInFlight = Math.max(...inFlightAtEmission);
    assert.ok(maxInFlight <= HIGH_WATER, `inFlight reached ${maxInFlight} (per emission: ${inFlightAtEmission.join(' ')})`);
    // The consumer is slow enough that the bound is actually reached: the check above is not vacuous.
    assert.equal(maxInFlight, HIGH_WATER, `inFlight never reached the high-water mark: ${inFlightAtEmission.join(' ')}`);
    assert.equal(source.inFlight(), 0, 'every frame was released');
    assert.deepEqual(
      frames.map((f) => f.index),
      Array.from({ length: FRAMES }, (_, i) => i),
    );
    assert.ok(
      frames.every((f) => f.bytes === (W * H * 3) / 2),
      'a frame has the wrong size',
    );
    const pts = frames.map((f) => f.ptsMs);
    assert.ok(
      pts.every((p) => typeof p === 'number'),
      'a frame has no timestamp',
    );
    for (let i = 1; i < pts.length; i++) {
      assert.ok((pts[i] as number) > (pts[i - 1] as number), `ptsMs not increasing at ${i}: ${pts[i - 1]} → ${pts[i]}`);
    }
    assert.equal(pts[0], 0);
    assert.equal(pts[FRAMES - 1], ((FRAMES - 1) * 1000) / 25);
  });

  it('a consumer that releases synchronously also gets every frame, in order', async () => {
    const source = makeSource();
    const indices: number[] = [];
    let maxInFlight = 0;
    await new Promise<void>((resolve, reject) => {
      source.frames().subscribe({
        next: (frame) => {
          maxInFlight = Math.max(maxInFlight, source.inFlight());
          indices.push(frame.index);
          source.release(frame);
        },
        error: reject,
        complete: resolve,
      });
    });
    assert.deepEqual(
      indices,
      Array.from({ length: FRAMES }, (_, i) => i),
    );
    assert.ok(maxInFlight <= HIGH_WATER, `inFlight reached ${maxInFlight}`);
    assert.equal(source.inFlight(), 0);
  });

  it('unsubscribing early stops the decoder', async () => {
    const source = makeSource();
    let subscription: Subscription | undefined;
    const seen: number[] = [];
    // Take 3 frames and never release them: the decoder blocks on its full pipe.
    const threeFrames = new Promise<void>((resolve, reject) => {
      subscription = source.frames().subscribe({
        next: (frame) => {
          seen.push(frame.index);
          if (seen.length === HIGH_WATER) resolve();
        },
        error: reject,
        complete: () => reject(new Error('the source completed although no frame was released')),
      });
    });
    await threeFrames;
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(seen, [0, 1, 2], 'the source emitted beyond the high-water mark without a release');
    const decoders = processesMentioning(input);
    assert.equal(decoders.length, 1, `expected one decoder running: ${JSON.stringify(decoders)}`);
    subscription!.unsubscribe();
    const left = await waitUntilGone(input, 5000);
    assert.deepEqual(left, [], 'the decoder is still running after unsubscribe');
  });
});

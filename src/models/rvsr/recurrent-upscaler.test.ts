import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { realLumaFrames } from '../../../test/helpers/real-luma.js';
import { quantize, resizeBicubic } from '../../image/resize.js';
import { psnr } from '../../quality/psnr.js';
import { allocateFrame, type Frame } from '../../pipeline/frame.js';
import type { RecurrentInput, RecurrentLumaModel, Upscaler } from '../../pipeline/ports.js';
import { loadOnnxLuma, loadOnnxRecurrent } from '../backends/onnxruntime.js';
import { findModel } from '../registry.js';
import { createWorkerUpscaler } from '../worker/worker-upscaler.js';
import { blockShifts, motionSearchOf, moveBlocks, roundHalfEven, shiftPlanes, type BlockMotion, type MotionSearch } from './global-motion.js';
import { createRecurrentUpscaler } from './recurrent-upscaler.js';
import { isSceneCut } from './scene-cut.js';

const W = 96;
const H = 64;
const WHOLE = { maxPixels: 1 << 30, overlap: 6 };

const frameOf = (index: number, luma: Uint8Array, w = W, h = H): Frame => {
  const f = allocateFrame(index, index * 40, { width: w, height: h, pixFmt: 'yuv420p' });
  f.planes[0].data.set(luma);
  f.planes[1].data.fill(128);
  f.planes[2].data.fill(128);
  return f;
};

/** The largest difference between two planes' samples. */
const maxDiff = (a: Uint8Array | Uint16Array, b: Uint8Array | Uint16Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

const ys = async (up: Upscaler, frames: Frame[]): Promise<Uint8Array[]> => {
  const out: Uint8Array[] = [];
  for (const f of frames) out.push((await up.upscale(f)).frame.planes[0].data as Uint8Array);
  return out;
};

describe('the recurrent upscaler (rvsr-x2, real weights, real footage)', () => {
  const entry = findModel('rvsr', 2);
  // As a run loads it: its past moved by the motion its metadata asks for.
  const MOTION = motionSearchOf(entry.meta.motion, entry.path);
  const models: RecurrentLumaModel[] = [];
  const load = async (): Promise<RecurrentLumaModel> => {
    const m = await loadOnnxRecurrent({ path: entry.path, name: entry.name, scale: 2, threads: 1 });
    models.push(m);
    return m;
  };
  // Two scenes of the same clip: pedestrians (rows 200.., columns 300..) and the top-left corner.
  let sceneA: Frame[];
  let sceneB: Uint8Array[];
  before(() => {
    sceneA = realLumaFrames(8, W, H).map((y, i) => frameOf(i, y));
    sceneB = realLumaFrames(8, W, H, 0, 0);
  });
  after(async () => {
    for (const m of models) await m.dispose().catch(() => {});
  });

  it('uses the past: frames after the first differ from the same frames upscaled alone', async () => {
    const up = createRecurrentUpscaler(await load(), WHOLE, MOTION);
    const streamed = await ys(up, sceneA);
    const alone = [];
    for (const f of sceneA) alone.push((await up.upscaleAlone!(f)).frame.planes[0].data);
    assert.equal(maxDiff(streamed[0]!, alone[0]!), 0, 'the first frame starts from no past');
    for (let i = 1; i < sceneA.length; i++) assert.ok(maxDiff(streamed[i]!, alone[i]!) > 2, `frame ${i} read its past`);
  });

  it('in strips with the receptive radius as overlap, gives what the whole frame gives, frame after frame', async () => {
    const whole = await ys(createRecurrentUpscaler(await load(), WHOLE, MOTION), sceneA);
    // 96 x 16 rows kept a strip (the least stripsFor keeps), read with 6 rows of context each side
    const strips = await ys(createRecurrentUpscaler(await load(), { maxPixels: 96 * 20, overlap: 6 }, MOTION), sceneA);
    for (let i = 0; i < sceneA.length; i++) assert.ok(maxDiff(whole[i]!, strips[i]!) <= 1, `frame ${i}`);
    // Without the overlap the strips' seams show: the comparison above can fail.
    const seams = await ys(createRecurrentUpscaler(await load(), { maxPixels: 96 * 20, overlap: 0 }, MOTION), sceneA);
    assert.ok(maxDiff(whole[7]!, seams[7]!) > 8);
  });

  it('starts over after a gap in the frame indices (frames a live run sent to bicubic or dropped)', async () => {
    const up = createRecurrentUpscaler(await load(), WHOLE, MOTION);
    await ys(up, sceneA.slice(0, 4));
    const skipped = sceneA[6]!; // indices 4 and 5 never reached the network
    const afterGap = (await up.upscale(skipped)).frame.planes[0].data;
    const fresh = createRecurrentUpscaler(await load(), WHOLE, MOTION);
    assert.equal(maxDiff(afterGap, (await fresh.upscale(skipped)).frame.planes[0].data), 0);
  });

  it('starts over when the timestamps jump although the indices follow (damaged frames skipped)', async () => {
    const up = createRecurrentUpscaler(await load(), WHOLE, MOTION);
    await ys(up, sceneA.slice(0, 4)); // 40 ms apart
    const late = frameOf(4, sceneA[4]!.planes[0].data as Uint8Array);
    const jumped = { ...late, ptsMs: 400 };
    const afterJump = (await up.upscale(jumped)).frame.planes[0].data;
    assert.equal(maxDiff(afterJump, (await up.upscaleAlone!(jumped)).frame.planes[0].data), 0);
    const onTime = createRecurrentUpscaler(await load(), WHOLE, MOTION);
    await ys(onTime, sceneA.slice(0, 4));
    assert.ok(maxDiff((await onTime.upscale(late)).frame.planes[0].data, afterJump) > 2, 'on time, frame 4 reads its past');
  });

  it('runs in a worker thread as in this one: the stream in order, a frame alone outside it', async () => {
    const worker = await createWorkerUpscaler({ path: entry.path, name: entry.name, scale: 2, workers: 1, threadsPerWorker: 1, tiling: WHOLE, recurrent: true, motion: MOTION });
    try {
      const here = await ys(createRecurrentUpscaler(await load(), WHOLE, MOTION), sceneA.slice(0, 5));
      const calls = sceneA.slice(0, 5).map((f, i) => (i === 2 ? [worker.upscaleAlone!(frameOf(0, sceneB[0]!)), worker.upscale(f)] : [worker.upscale(f)]));
      const results = await Promise.all(calls.flat());
      const streamed = results.filter((_, i) => i !== 2).map((r) => r.frame.planes[0].data);
      for (let i = 0; i < 5; i++) assert.ok(maxDiff(streamed[i]!, here[i]!) <= 1, `frame ${i}`);
      const alone = (await createRecurrentUpscaler(await load(), WHOLE, MOTION).upscale(frameOf(0, sceneB[0]!))).frame.planes[0].data;
      assert.ok(maxDiff(results[2]!.frame.planes[0].data, alone) <= 1, 'the frame alone');
    } finally {
      await worker.dispose();
    }
  });

  it('starts over at a scene cut: after the cut, exactly what a run of the new scene alone gives', async () => {
    const spliced = [...sceneA.slice(0, 5), ...sceneB.slice(0, 4).map((y, i) => frameOf(5 + i, y))];
    const got = await ys(createRecurrentUpscaler(await load(), WHOLE, MOTION), spliced);
    const alone = await ys(
      createRecurrentUpscaler(await load(), WHOLE, MOTION),
      sceneB.slice(0, 4).map((y, i) => frameOf(i, y)),
    );
    for (let i = 0; i < 4; i++) assert.equal(maxDiff(got[5 + i]!, alone[i]!), 0, `frame ${i} after the cut`);
  });

  it('keeps the stream in order when frames overlap, and upscaleAlone leaves the stream untouched', async () => {
    const sequential = await ys(createRecurrentUpscaler(await load(), WHOLE, MOTION), sceneA.slice(0, 5));
    const up = createRecurrentUpscaler(await load(), WHOLE, MOTION);
    const calls = sceneA.slice(0, 5).map((f, i) => (i === 2 ? [up.upscaleAlone!(frameOf(0, sceneB[0]!)), up.upscale(f)] : [up.upscale(f)]));
    const results = await Promise.all(calls.flat());
    const streamed = results.filter((_, i) => i !== 2).map((r) => r.frame.planes[0].data);
    for (let i = 0; i < 5; i++) assert.equal(maxDiff(streamed[i]!, sequential[i]!), 0, `frame ${i}`);
  });

  it('as a still-image model (images, srvid eval), gives the first frame of a stream', async () => {
    const still = await loadOnnxLuma({ path: entry.path, name: entry.name, scale: 2, threads: 1 });
    const first = sceneA[0]!;
    const y = Float32Array.from(first.planes[0].data, (v) => v / 255);
    const out = await still.run(y, W, H);
    await still.dispose();
    const streamed = (await createRecurrentUpscaler(await load(), WHOLE, MOTION).upscale(first)).frame.planes[0].data;
    const rounded = Uint8Array.from(out, (v) => Math.min(255, Math.max(0, Math.round(v * 255))));
    assert.ok(maxDiff(rounded, streamed) <= 1);
  });
});

describe('isSceneCut', () => {
  const plane = (y: Uint8Array): Float32Array => Float32Array.from(y, (v) => v / 255);
  it('finds no cut between consecutive frames of real footage, and one between two scenes', () => {
    const a = realLumaFrames(6, 192, 144).map(plane);
    const b = realLumaFrames(1, 192, 144, 0, 0).map(plane);
    for (let i = 1; i < a.length; i++) assert.equal(isSceneCut(a[i - 1]!, a[i]!, 192, 144), false, `frames ${i - 1}, ${i}`);
    assert.equal(isSceneCut(a[5]!, b[0]!, 192, 144), true);
    assert.equal(isSceneCut(b[0]!, b[0]!, 192, 144), false);
  });
});

describe('a recurrent model trained with its past moved by the motion (metadata `motion`)', () => {
  /** A stand-in network that records what it reads: its output is y nearest-upscaled, its state y and 1 - y. */
  const recording = (): { model: RecurrentLumaModel; inputs: RecurrentInput[]; outputs: { yUp: Float32Array; state: Float32Array }[] } => {
    const inputs: RecurrentInput[] = [];
    const outputs: { yUp: Float32Array; state: Float32Array }[] = [];
    const model: RecurrentLumaModel = {
      scale: 2,
      name: 'recording',
      backend: 'test',
      stateChannels: 2,
      step: (input, width, height) => {
        inputs.push({ ...input, yUpPrev: input.yUpPrev.slice(), state: input.state.slice() });
        const yUp = new Float32Array(4 * width * height);
        for (let y = 0; y < 2 * height; y++) for (let x = 0; x < 2 * width; x++) yUp[y * 2 * width + x] = input.y[(y >> 1) * width + (x >> 1)] as number;
        const state = new Float32Array(2 * width * height);
        state.set(input.y);
        state.set(input.y.map((v) => 1 - v), width * height);
        outputs.push({ yUp: yUp.slice(), state: state.slice() }); // the upscaler may move its own in place
        return Promise.resolve({ yUp, state });
      },
      dispose: () => Promise.resolve(),
    };
    return { model, inputs, outputs };
  };
  // A 96 x 64 window gliding over a still of real footage by (1, -2) input pixels a frame.
  const frames = [0, 1, 2, 3].map((k) => frameOf(k, realLumaFrames(1, W, H, 160 + k, 280 - 2 * k)[0]!));

  it('moves the previous output and the state onto each frame before it runs, and leaves the previous frame as it was', async () => {
    const { model, inputs, outputs } = recording();
    await ys(createRecurrentUpscaler(model, WHOLE, { radius: 3, stride: 2, refine: 'cubic', gate: 0.5 }), frames);
    for (let k = 1; k < frames.length; k++) {
      // Output pixels: the window moved 2 down and 4 left; input pixels: 1 and 2.
      assert.deepEqual(inputs[k]!.yUpPrev, shiftPlanes(outputs[k - 1]!.yUp.slice(), 1, 2 * W, 2 * H, 2, -4), `frame ${k}: output`);
      assert.deepEqual(inputs[k]!.state, shiftPlanes(outputs[k - 1]!.state.slice(), 2, W, H, 1, -2), `frame ${k}: state`);
      assert.deepEqual(inputs[k]!.yPrev, inputs[k - 1]!.y, `frame ${k}: the previous frame unmoved`);
      assert.notDeepEqual(inputs[k]!.yUpPrev, outputs[k - 1]!.yUp);
    }
  });

  it('with blocks in its metadata, moves each block of the past by its own motion', async () => {
    // The left half of the window glides by (1, -2) input pixels a frame, the right half (over other footage) by
    // (-1, 1): no one shift fits both.
    const apart = [0, 1, 2, 3].map((k) => {
      const left = realLumaFrames(1, W, H, 160 + k, 280 - 2 * k)[0]!;
      const right = realLumaFrames(1, W, H, 60 - k, 100 + k)[0]!;
      return frameOf(k, left.map((v, i) => (i % W < W / 2 ? v : (right[i] as number))));
    });
    const search = { radius: 3, stride: 2, refine: 'cubic', gate: 0.5, block: 24 } as const;
    const { model, inputs, outputs } = recording();
    await ys(createRecurrentUpscaler(model, WHOLE, search), apart);
    const near = ({ shifts }: BlockMotion, at: number, [dy, dx]: [number, number]): boolean =>
      Math.abs((shifts[at] as number) - 2 * dy) < 2 && Math.abs((shifts[at + 1] as number) - 2 * dx) < 2;
    for (let k = 1; k < apart.length; k++) {
      const d = blockShifts(inputs[k - 1]!.y, inputs[k]!.y, W, H, 2, search, 24); // 3 rows of 4 blocks
      assert.equal(d.shifts.length, 3 * 4 * 2);
      assert.ok(near(d, 0, [1, -2]) && near(d, 2 * 3, [-1, 1]), `frame ${k}: the blocks' motions ${d.shifts}`);
      assert.deepEqual(inputs[k]!.yUpPrev, moveBlocks(outputs[k - 1]!.yUp, 1, 2 * W, 2 * H, d, 2), `frame ${k}: output`);
      const inLr = { ...d, shifts: d.shifts.map((v) => roundHalfEven(v / 2)) };
      assert.deepEqual(inputs[k]!.state, moveBlocks(outputs[k - 1]!.state, 2, W, H, inLr, 1), `frame ${k}: state`);
      assert.deepEqual(inputs[k]!.yPrev, inputs[k - 1]!.y, `frame ${k}: the previous frame unmoved`);
    }
  });

  it('without motion in its metadata, hands the past over where it was', async () => {
    const { model, inputs, outputs } = recording();
    await ys(createRecurrentUpscaler(model, WHOLE), frames);
    for (let k = 1; k < frames.length; k++) {
      assert.deepEqual(inputs[k]!.yUpPrev, outputs[k - 1]!.yUp);
      assert.deepEqual(inputs[k]!.state, outputs[k - 1]!.state);
    }
  });
});

describe('the shipped rvsr-x4, trained with its past moved by the motion', () => {
  const entry = findModel('rvsr', 4);
  const search = motionSearchOf(entry.meta.motion, entry.path);
  // A 256 x 160 window gliding over a still of real footage by (2, 3) output pixels a frame (half and three
  // quarters of an input pixel), seen at x4 less by antialiased bicubic, as training's LR is.
  const [HW, HH] = [256, 160];
  const truth = (k: number): Uint8Array => realLumaFrames(1, HW, HH, 170 + 2 * k, 210 + 3 * k)[0]!;
  const lr = (k: number): Frame => {
    const y = resizeBicubic(truth(k), HW, HH, HW / 4, HH / 4, { scaleX: 1 / 4, scaleY: 1 / 4 });
    return frameOf(k, quantize(y, new Uint8Array((HW / 4) * (HH / 4)), 255), HW / 4, HH / 4);
  };
  const frames = (): Frame[] => [0, 1, 2, 3, 4, 5, 6, 7].map(lr);
  const upscaled = async (motion: MotionSearch | null): Promise<Uint8Array[]> => {
    const model = await loadOnnxRecurrent({ path: entry.path, name: entry.name, scale: 4, threads: 1 });
    try {
      return await ys(createRecurrentUpscaler(model, WHOLE, motion), frames());
    } finally {
      await model.dispose();
    }
  };
  const meanPsnr = async (motion: MotionSearch | null): Promise<number> =>
    (await upscaled(motion)).slice(3).reduce((sum, y, i) => sum + psnr(y, truth(i + 3), HW, HH), 0) / 5;

  it('says so in its metadata, and over a real pan the past moved by the motion is worth more than the past left where it was', async (t) => {
    assert.deepEqual(search, { radius: 3, stride: 2, block: 48, refine: 'cubic', gate: 0.5 });
    const aligned = await meanPsnr(search);
    const unmoved = await meanPsnr(null);
    t.diagnostic(`PSNR-Y over frames 3-7: ${aligned.toFixed(3)} dB moved by the motion, ${unmoved.toFixed(3)} dB unmoved`);
    assert.ok(aligned > unmoved + 0.1, `${aligned.toFixed(3)} dB moved, ${unmoved.toFixed(3)} dB unmoved`);
  });

  it('moves its past in a worker thread as in this one', async () => {
    const worker = await createWorkerUpscaler({ path: entry.path, name: entry.name, scale: 4, workers: 1, threadsPerWorker: 1, tiling: WHOLE, recurrent: true, motion: search });
    try {
      const there = await ys(worker, frames());
      const here = await upscaled(search);
      const unmoved = await upscaled(null);
      for (let i = 0; i < here.length; i++) assert.ok(maxDiff(there[i]!, here[i]!) <= 1, `frame ${i}`);
      assert.ok(maxDiff(there[7]!, unmoved[7]!) > 8, 'and not as without the motion');
    } finally {
      await worker.dispose();
    }
  });
});

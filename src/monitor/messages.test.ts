import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateFrame } from '../pipeline/frame.js';
import type { FrameQuality, FrameReport } from '../pipeline/ports.js';
import { createIntervals, createSummary, everyNth, frameMessage, helloMessage, PSNR_CAP, type RunDescription } from './messages.js';

const run = (o: Partial<RunDescription> = {}): RunDescription => ({
  input: 'in.mp4',
  output: 'out.mp4',
  inputSize: { width: 64, height: 48 },
  modelInputSize: { width: 64, height: 48 },
  outputSize: { width: 128, height: 96 },
  scale: 2,
  model: 'espcn-x2',
  backend: 'fake',
  mode: 'consistency',
  reference: 'the output downscaled back',
  crop: 0,
  frameRate: 25,
  totalFrames: 10,
  ...o,
});

const frame = allocateFrame(0, 0, { width: 8, height: 8, pixFmt: 'yuv420p' });
const report = (index: number, quality: FrameQuality | null): FrameReport => ({
  index,
  ptsMs: index * 40,
  quality,
  fps: 10,
  latencyMs: 100,
  queueDepth: 1,
  dropped: 0,
  fallback: 0,
  times: { decodeWaitMs: 0, convertMs: 0, inferenceMs: 0, chromaMs: 0, qualityMs: 0, encodeWaitMs: 0 },
  modelInput: frame,
  output: frame,
});
const pair = (psnr: number, ssim: number) => ({ psnr, ssim });
const quality = (detail?: FrameQuality['detail'], shadow?: number): FrameQuality => ({
  srvid: pair(50, 0.999),
  bicubic: pair(40, 0.98),
  ...(detail ? { detail } : {}),
  costMs: { bicubic: 1, resize: 2, psnr: 3, ssim: 4, ...(shadow === undefined ? {} : { shadow }) },
});

describe('monitor messages', () => {
  it('hello: says in words what each figure measures', () => {
    const h = helloMessage(run({ detailEvery: 10 }));
    assert.equal(h.v, 1);
    assert.equal(h.detailEvery, 10);
    assert.equal(h.figures?.main.label, 'faithfulness to the input');
    assert.match(h.figures!.main.description, /downscaled back to the input size.*not how much detail/);
    assert.equal(h.figures?.detail?.label, 'detail estimate (every 10th frame)');
    assert.match(
      h.figures!.detail!.description,
      /^detail estimate: every 10th frame of the input downscaled by 2 .* against the input frame itself/,
    );
    // Without a shadow, consistency mode has no detail figure; other modes never do.
    assert.equal(helloMessage(run()).figures?.detail, null);
    assert.equal(helloMessage(run()).detailEvery, null);
    assert.equal(helloMessage(run({ detailEvery: 0 })).detailEvery, null);
    assert.equal(helloMessage(run({ detailEvery: 0 })).figures?.detail, null);
    const self = helloMessage(run({ mode: 'self', detailEvery: 10, crop: 2 }));
    assert.equal(self.detailEvery, null);
    assert.equal(self.figures?.detail, null);
    assert.match(self.figures!.main.description, /against the input itself; 2 px border cropped/);
    assert.equal(helloMessage(run({ mode: 'reference', reference: 'against hr.mp4' })).figures?.main.description, 'against hr.mp4');
    assert.equal(helloMessage(run({ mode: null, reference: null })).figures, null);
    assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 111].map(everyNth), [
      'every frame',
      'every 2nd frame',
      'every 3rd frame',
      'every 4th frame',
      'every 11th frame',
      'every 12th frame',
      'every 13th frame',
      'every 21st frame',
      'every 22nd frame',
      'every 111th frame',
    ]);
  });

  it('frame: carries the detail pair only when the frame has one, capped like the others', () => {
    const d = frameMessage(report(0, quality({ srvid: pair(Infinity, 1), bicubic: pair(30, 0.9) })));
    assert.deepEqual(d.detail, { srvid: pair(PSNR_CAP, 1), bicubic: pair(30, 0.9) });
    const plain = frameMessage(report(1, quality()));
    assert.equal('detail' in plain, false);
    assert.equal('detail' in frameMessage(report(2, null)), false);
  });

  it('summary: detail stats apart from the main ones; the shadow cost per measured and per estimated frame', () => {
    const s = createSummary();
    s.add(report(0, quality({ srvid: pair(34, 0.95), bicubic: pair(32, 0.94) }, 9)));
    s.add(report(1, quality(undefined, 0)));
    s.add(report(2, quality({ srvid: pair(36, 0.97), bicubic: pair(33, 0.95) }, 11)));
    s.add(report(3, quality())); // a probe that does not report `shadow`
    s.add(report(4, null));
    const m = s.message({ elapsedSec: 1, fps: 5 });
    assert.equal(m.measured, 4);
    assert.deepEqual(m.srvid.psnr, { mean: 50, min: 50 });
    assert.deepEqual(m.detail, {
      frames: 2,
      srvid: { psnr: { mean: 35, min: 34 }, ssim: { mean: 0.96, min: 0.95 } },
      bicubic: { psnr: { mean: 32.5, min: 32 }, ssim: { mean: 0.945, min: 0.94 } },
      costMs: 10,
    });
    assert.deepEqual(m.costMs, { bicubic: 1, resize: 2, psnr: 3, ssim: 4, shadow: 5 });
    const none = createSummary();
    none.add(report(0, quality()));
    assert.equal(none.message({ elapsedSec: 1, fps: 1 }).detail, null);
  });

  it('interval: frames, rate, lag and the bicubic/dropped counts of each interval, from the running totals', () => {
    const iv = createIntervals();
    const lag = (latencyMs: number, dropped: number, fallback: number) => ({ latencyMs, dropped, fallback });
    iv.add(lag(100, 0, 1));
    iv.add(lag(300, 2, 3));
    const first = iv.take(1);
    assert.deepEqual(first, {
      type: 'interval',
      v: 1,
      t: 1,
      seconds: 1,
      frames: 2,
      fps: 2,
      lagMs: { mean: 200, max: 300 },
      dropped: 2,
      fallback: 3,
      droppedTotal: 2,
      fallbackTotal: 3,
    });
    // A second with no frame (a stalled source): 0 frames, no lag, nothing new.
    const empty = iv.take(2);
    assert.deepEqual([empty.frames, empty.fps, empty.lagMs, empty.dropped, empty.fallback], [0, 0, null, 0, 0]);
    assert.deepEqual([empty.droppedTotal, empty.fallbackTotal], [2, 3]);
    iv.add(lag(50, 2, 7));
    const third = iv.take(2.5);
    assert.deepEqual([third.seconds, third.fps, third.dropped, third.fallback, third.fallbackTotal], [0.5, 2, 0, 4, 7]);
  });

  it('hello: says whether the run is live', () => {
    assert.equal(helloMessage(run({ live: true })).live, true);
    assert.equal(helloMessage(run()).live, undefined);
  });
});

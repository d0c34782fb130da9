import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FrameReport } from '../pipeline/ports.js';
import { formatQualityLine } from './format-quality.js';
import { createSummary } from './messages.js';

/** A summary of `n` frames; frames with an index in `shadowed` carry a detail estimate. */
const summarize = (n: number, shadowed: (i: number) => boolean) => {
  const s = createSummary();
  for (let i = 0; i < n; i++) {
    s.add({
      index: i,
      dropped: 0,
      fallback: 0,
      quality: {
        srvid: { psnr: 48.2, ssim: 0.999 },
        bicubic: { psnr: 31, ssim: 0.97 },
        ...(shadowed(i) ? { detail: { srvid: { psnr: 34.1, ssim: 0.95 }, bicubic: { psnr: 32, ssim: 0.94 } } } : {}),
        costMs: { bicubic: 1, resize: 2, psnr: 0.5, ssim: 1, shadow: shadowed(i) ? 8 : 0 },
      },
    } as unknown as FrameReport);
  }
  return s.message({ elapsedSec: 1, fps: n });
};

describe('formatQualityLine', () => {
  it('self and reference: the line as before, with the gain over bicubic', () => {
    const summary = summarize(150, () => false);
    for (const mode of ['self', 'reference'] as const)
      assert.equal(
        formatQualityLine(summary, { mode, scale: 2 }),
        'quality (150 frames): PSNR-Y 48.20 dB, bicubic 31.00 dB (+17.20); SSIM-Y 0.9990, bicubic 0.9700',
      );
  });

  it('consistency: the detail estimate first, faithfulness labelled as such and never as a gain', () => {
    const line = formatQualityLine(
      summarize(150, (i) => i % 10 === 0),
      { mode: 'consistency', scale: 2 },
    );
    assert.equal(
      line,
      'quality (150 frames): detail estimate (15 frames, each downscaled by 2, upscaled, compared with itself): ' +
        'PSNR-Y 34.10 dB vs bicubic 32.00 (+2.10), SSIM-Y 0.9500 vs 0.9400; ' +
        'faithfulness to the input (output downscaled back, not detail): PSNR-Y 48.20 dB vs bicubic 31.00, SSIM-Y 0.9990 vs 0.9700',
    );
    assert.doesNotMatch(line!, /\+17\.20/);
  });

  it('consistency without shadow frames: says there is no detail estimate, and gives no difference', () => {
    const line = formatQualityLine(
      summarize(3, () => false),
      { mode: 'consistency', scale: 2 },
    );
    assert.match(line!, /^quality \(3 frames\): no detail estimate in this run; faithfulness to the input/);
    assert.doesNotMatch(line!, /[+-]\d+\.\d\d\)/);
  });

  it('null without metrics or measured frames', () => {
    assert.equal(
      formatQualityLine(
        summarize(0, () => false),
        { mode: 'self', scale: 2 },
      ),
      null,
    );
    assert.equal(
      formatQualityLine(
        summarize(5, () => false),
        { mode: null, scale: 2 },
      ),
      null,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gradientRatio, meanGradient } from './sharpness.js';

/** A 32×32 plane of vertical stripes `wide` samples wide, levels 40 and 200. */
const stripes = (wide = 8): Uint8Array => Uint8Array.from({ length: 32 * 32 }, (_, i) => (Math.floor((i % 32) / wide) % 2 ? 200 : 40));

/** Each sample averaged with its horizontal neighbours (a 1-2-1 blur), borders kept. */
const blurred = (a: Uint8Array): Uint8Array =>
  a.map((v, i) => (i % 32 === 0 || i % 32 === 31 ? v : Math.round(((a[i - 1] as number) + 2 * v + (a[i + 1] as number)) / 4)));

describe('gradientRatio', () => {
  it('is 1 for the truth itself, below 1 for a blurred copy of fine texture and above 1 with added detail', () => {
    const truth = stripes(2); // blurring a lone edge keeps its total rise: only texture loses gradient
    assert.equal(gradientRatio(truth, truth, 32, 32, { crop: 2 }), 1);
    const blur = gradientRatio(blurred(truth), truth, 32, 32, { crop: 2 });
    assert.equal(blur, 0.5); // 40 40 200 200 blurred 1-2-1 is 80 80 160 160 (shifted): half the swing
    const wide = stripes(8);
    const noisy = wide.map((v, i) => v + ((i * 7919) % 13) - 6); // grain on the flat bands
    assert.ok(gradientRatio(noisy, wide, 32, 32, { crop: 2 }) > 1.05);
  });

  it('measures the Sobel magnitude: a step of 160 gives 640 on the two columns beside it', () => {
    // a column edge every 8 samples: columns 7|8, 15|16, 23|24 inside the crop; each edge lights two columns
    const g = meanGradient(stripes(), 32, 32, 0);
    const edgeColumns = 6; // 7, 8, 15, 16, 23, 24 (the 30 measured columns are 1..30)
    assert.ok(Math.abs(g - (edgeColumns * 4 * 160) / 30) < 1e-9, String(g));
  });

  it('is NaN against a flat truth, and refuses planes of another size or a crop that leaves nothing', () => {
    const flat = new Uint8Array(16).fill(9);
    assert.ok(Number.isNaN(gradientRatio(flat, flat, 4, 4)));
    assert.throws(() => gradientRatio(new Uint8Array(16), new Uint8Array(15), 4, 4), /must both be 4x4/);
    assert.throws(() => gradientRatio(flat, flat, 4, 4, { crop: 1 }), /leaves no 3x3 window/);
  });
});

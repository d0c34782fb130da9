import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanSquaredError, psnr } from './psnr.js';

describe('psnr', () => {
  it('is 10·log10(255²/MSE): an error of 1 everywhere gives 48.13 dB', () => {
    const a = new Uint8Array(64).fill(100);
    const b = new Uint8Array(64).fill(101);
    assert.equal(psnr(a, b, 8, 8).toFixed(4), '48.1308');
  });

  it('uses the given peak (10-bit)', () => {
    const a = new Uint16Array(16).fill(500);
    const b = new Uint16Array(16).fill(502);
    assert.equal(psnr(a, b, 4, 4, { peak: 1023 }).toFixed(4), (10 * Math.log10((1023 * 1023) / 4)).toFixed(4));
  });

  it('is Infinity for identical planes', () => {
    assert.equal(psnr(new Uint8Array(9), new Uint8Array(9), 3, 3), Infinity);
  });

  it('ignores the cropped border', () => {
    const a = new Uint8Array(36);
    const b = new Uint8Array(36);
    b[0] = 200; // a corner pixel, inside the 1-pixel border
    b[14] = 3; // (2,2): inside the measured region
    assert.equal(meanSquaredError(a, b, 6, 6, 1), 9 / 16);
    assert.equal(meanSquaredError(a, b, 6, 6, 0), (200 * 200 + 9) / 36);
  });

  it('rejects mismatched sizes and over-cropping', () => {
    assert.throws(() => psnr(new Uint8Array(4), new Uint8Array(5), 2, 2), RangeError);
    assert.throws(() => psnr(new Uint8Array(4), new Uint8Array(4), 2, 2, { crop: 1 }), RangeError);
  });
});

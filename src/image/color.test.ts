import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rgbToY, rgbToYcbcr, ycbcrToRgb } from './color.js';

describe('BT.601 studio-range YCbCr', () => {
  it('maps black, white and the primaries to the standard levels', () => {
    const px = Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    const { y, cb, cr } = rgbToYcbcr(px, 5);
    const r = (a: Float32Array) => [...a].map((v) => Math.round(v * 1000) / 1000);
    assert.deepEqual(r(y), [16, 235, 81.481, 144.553, 40.966]);
    assert.deepEqual(r(cb).slice(0, 2), [128, 128]);
    assert.deepEqual(r(cr).slice(0, 2), [128, 128]);
    assert.equal(Math.round(cr[1 + 1]! * 1000) / 1000, 240); // red: Cr = 128 + 112
    assert.equal(Math.round(cb[4]! * 1000) / 1000, 240); // blue: Cb = 128 + 112
  });

  it('reads RGBA with the alpha ignored', () => {
    assert.deepEqual([...rgbToY(Uint8Array.from([255, 255, 255, 0]), 1, 4)], [235]);
  });

  it('round-trips every 8-bit colour on a grid within one level', () => {
    const px: number[] = [];
    for (let r = 0; r < 256; r += 15) for (let g = 0; g < 256; g += 15) for (let b = 0; b < 256; b += 15) px.push(r, g, b);
    const back = ycbcrToRgb(rgbToYcbcr(px, px.length / 3));
    for (let i = 0; i < px.length; i++) assert.ok(Math.abs((back[i] as number) - (px[i] as number)) <= 1, `sample ${i}`);
  });
});

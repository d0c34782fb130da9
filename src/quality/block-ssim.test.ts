import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockSsim } from './block-ssim.js';

const noise = (n: number, seed: number): Uint8Array => {
  let s = seed;
  return Uint8Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % 256;
  });
};

describe('blockSsim (ffmpeg ssim filter)', () => {
  it('is 1 for identical planes', () => {
    const a = noise(24 * 16, 3);
    assert.equal(blockSsim(a, a, 24, 16), 1);
  });

  it("matches the closed form for constant planes, with ffmpeg's rounded constants", () => {
    // Each 8×8 window: s1 = 64·100, s2 = 64·120, no variance: (2 s1 s2 + c1) / (s1² + s2² + c1), c1 = 416.
    const a = new Uint8Array(16 * 16).fill(100);
    const b = new Uint8Array(16 * 16).fill(120);
    const [s1, s2] = [6400, 7680];
    const expected = (2 * s1 * s2 + 416) / (s1 * s1 + s2 * s2 + 416);
    assert.ok(Math.abs(blockSsim(a, b, 16, 16) - expected) < 1e-12);
  });

  it('ignores the columns and rows past the last whole 4-sample block, as ffmpeg does', () => {
    const a = noise(18 * 13, 5);
    const b = a.slice();
    for (let y = 0; y < 13; y++) for (let x = 0; x < 18; x++) if (x >= 16 || y >= 12) b[y * 18 + x] = 255 - (a[y * 18 + x] as number);
    assert.equal(blockSsim(a, b, 18, 13), 1);
  });

  it('averages over windows stepping by 4: one changed block lowers exactly the windows that hold it', () => {
    const w = 16,
      h = 16; // 4×4 blocks → 3×3 windows; block (0,0) is in 1 of them
    const a = noise(w * h, 9);
    const b = a.slice();
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) b[y * w + x] = 0;
    const v = blockSsim(a, b, w, h);
    assert.ok(v < 1 && v > 8 / 9, `one window in nine changed: ${v}`);
  });

  it('uses the 10-bit constants for a 10-bit peak', () => {
    const a = new Uint16Array(16 * 16).fill(400);
    const b = new Uint16Array(16 * 16).fill(480);
    const c1 = Math.floor(0.0001 * 1023 * 1023 * 64 + 0.5);
    const [s1, s2] = [400 * 64, 480 * 64];
    assert.ok(Math.abs(blockSsim(a, b, 16, 16, 1023) - (2 * s1 * s2 + c1) / (s1 * s1 + s2 * s2 + c1)) < 1e-12);
  });

  it('rejects planes smaller than one window', () => {
    assert.throws(() => blockSsim(new Uint8Array(49), new Uint8Array(49), 7, 7), /at least 8x8/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ssim } from './ssim.js';

const noise = (n: number, seed: number): Uint8Array => {
  let s = seed;
  return Uint8Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % 256;
  });
};

describe('ssim', () => {
  it('is 1 for identical planes', () => {
    const a = noise(32 * 32, 1);
    assert.equal(ssim(a, a, 32, 32), 1);
  });

  it('matches the closed form for two constant planes: (2μxμy + C1) / (μx² + μy² + C1)', () => {
    const a = new Uint8Array(20 * 20).fill(100);
    const b = new Uint8Array(20 * 20).fill(120);
    const c1 = (0.01 * 255) ** 2;
    const expected = (2 * 100 * 120 + c1) / (100 ** 2 + 120 ** 2 + c1);
    assert.ok(Math.abs(ssim(a, b, 20, 20) - expected) < 1e-9);
  });

  it('matches the closed form for a plane against its negative around the mean (structure term −1)', () => {
    // b = 2μ - a has the same mean and variance and correlation −1: SSIM = (C2 - 2σ²)/(2σ² + C2) per window.
    const a = Uint8Array.from({ length: 16 * 16 }, (_, i) => ((i + Math.floor(i / 16)) % 2 ? 140 : 100));
    const b = a.map((v) => 240 - v);
    const c2 = (0.03 * 255) ** 2;
    const value = ssim(a, b, 16, 16);
    assert.ok(value < 0, `expected negative SSIM, got ${value}`);
    // every window of a checkerboard has variance ≈ 400 (values ±20 about 120)
    assert.ok(Math.abs(value - (c2 - 2 * 400) / (2 * 400 + c2)) < 0.02);
  });

  it('falls as noise grows, and is symmetric', () => {
    const a = noise(40 * 40, 7);
    const mild = a.map((v, i) => Math.min(255, v + (i % 3)));
    const strong = a.map((v, i) => (v + 40 * (i % 5)) % 256);
    const s1 = ssim(a, mild, 40, 40);
    const s2 = ssim(a, strong, 40, 40);
    assert.ok(s1 > s2 && s1 < 1);
    assert.equal(ssim(mild, a, 40, 40).toFixed(12), s1.toFixed(12));
  });
});

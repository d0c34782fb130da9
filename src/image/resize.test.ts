import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contributions, leftSitedShift, quantize, resizeBicubic, resizeInterleaved } from './resize.js';

const ramp = (w: number, h: number, f: (x: number, y: number) => number): Float32Array => {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = f(x, y);
  return out;
};

describe('resizeBicubic', () => {
  it('weights of every output sample sum to 1, up and down', () => {
    for (const [n, m] of [
      [10, 20],
      [10, 30],
      [40, 10],
      [7, 3],
    ] as const) {
      const c = contributions(n, m);
      for (let x = 0; x < m; x++) {
        let sum = 0;
        for (let t = 0; t < c.taps; t++) sum += c.weights[x * c.taps + t] as number;
        assert.ok(Math.abs(sum - 1) < 1e-6, `${n}->${m} row ${x} sums to ${sum}`);
      }
    }
  });

  it('keeps a constant plane constant', () => {
    const out = resizeBicubic(new Float32Array(12 * 8).fill(77), 12, 8, 36, 24);
    for (const v of out) assert.ok(Math.abs(v - 77) < 1e-3);
  });

  it('reproduces a linear ramp exactly away from the borders (Keys cubic is exact on linears)', () => {
    const src = ramp(16, 16, (x, y) => 3 * x + 2 * y);
    const out = resizeBicubic(src, 16, 16, 32, 32);
    // output sample (X, Y) sits at input ((X + 0.5) / 2 - 0.5, …)
    for (let Y = 6; Y < 26; Y++) {
      for (let X = 6; X < 26; X++) {
        const expected = 3 * ((X + 0.5) / 2 - 0.5) + 2 * ((Y + 0.5) / 2 - 0.5);
        assert.ok(Math.abs((out[Y * 32 + X] as number) - expected) < 1e-3, `(${X},${Y})`);
      }
    }
  });

  it('antialiases when downscaling: a checkerboard averages to grey', () => {
    const src = ramp(32, 32, (x, y) => ((x + y) % 2 ? 255 : 0));
    const out = resizeBicubic(src, 32, 32, 8, 8);
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) assert.ok(Math.abs((out[y * 8 + x] as number) - 127.5) < 1);
  });

  it('halves (eight taps, unrolled) and thirds (the general path) as a direct sum of the kernel does', () => {
    // The reference: MATLAB's imresize written out, each output sample a normalised sum over the widened
    // Keys kernel, with symmetric edges; any slip in the unrolled taps (index, weight, stride) shows here.
    const cubic = (x: number): number => {
      const a = Math.abs(x);
      return a <= 1 ? (1.5 * a - 2.5) * a * a + 1 : a < 2 ? ((-0.5 * a + 2.5) * a - 4) * a + 2 : 0;
    };
    const fold = (i: number, n: number): number => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
    const weightsFor = (n: number, m: number): number[][] =>
      Array.from({ length: m }, (_, o) => {
        const k = m / n;
        const center = (o + 0.5) / k - 0.5;
        const w = new Array<number>(n).fill(0);
        for (let i = Math.floor(center - 2 / k) - 1; i <= Math.ceil(center + 2 / k) + 1; i++)
          w[fold(i, n)] = (w[fold(i, n)] as number) + k * cubic((center - i) * k);
        const sum = w.reduce((a, b) => a + b, 0);
        return w.map((v) => v / sum);
      });
    let seed = 7;
    const src = ramp(48, 30, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    for (const [ow, oh] of [
      [24, 15],
      [16, 10],
    ] as const) {
      const out = resizeBicubic(src, 48, 30, ow, oh);
      const wx = weightsFor(48, ow);
      const wy = weightsFor(30, oh);
      for (let Y = 0; Y < oh; Y++) {
        for (let X = 0; X < ow; X++) {
          let v = 0;
          for (let y = 0; y < 30; y++)
            for (let x = 0; x < 48; x++) v += (wy[Y]![y] as number) * (wx[X]![x] as number) * (src[y * 48 + x] as number);
          assert.ok(Math.abs((out[Y * ow + X] as number) - v) < 1e-3, `${ow}x${oh} (${X},${Y}): ${out[Y * ow + X]} vs ${v}`);
        }
      }
    }
    assert.equal(contributions(48, 24).taps, 8, 'halving drops the all-zero ninth tap');
  });

  it('upscales by a whole factor phase by phase with exactly the sums of the tap-by-tap path', () => {
    // The tap-by-tap sum from the contributions, in the same order: the phase path must agree to the bit.
    let seed = 11;
    for (const [w, h] of [
      [37, 9],
      [5, 4],
      [2, 3],
      [64, 8],
    ] as const) {
      const src = ramp(w, h, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      for (const s of [2, 3, 4]) {
        for (const shift of [0, leftSitedShift(s)]) {
          const out = resizeBicubic(src, w, h, w * s, h, { scaleX: s, scaleY: 1, shiftX: shift });
          const c = contributions(w, w * s, s, shift);
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w * s; x++) {
              let v = 0;
              for (let t = 0; t < 4; t++) v += (c.weights[x * 4 + t] as number) * (src[y * w + (c.indices[x * 4 + t] as number)] as number);
              assert.equal(out[y * w * s + x], Math.fround(v), `${w}x${h} x${s} shift ${shift} at (${x}, ${y})`);
            }
        }
      }
    }
  });

  it('left-sited chroma stays co-sited with even luma columns of a centre-aligned luma upscale', () => {
    // Chroma sample m sits on luma column 2m; after a x2 luma upscale, luma column c sits at input column
    // (c + 0.5)/2 - 0.5, so output chroma k (on output luma column 2k) must read input chroma ((2k + 0.5)/2 - 0.5)/2.
    const src = ramp(16, 1, (x) => 10 * x); // value = 10 × chroma index
    const out = resizeBicubic(src, 16, 1, 32, 1, { shiftX: leftSitedShift(2) });
    for (let k = 4; k < 26; k++) {
      const expected = 10 * (((2 * k + 0.5) / 2 - 0.5) / 2);
      assert.ok(Math.abs((out[k] as number) - expected) < 1e-3, `sample ${k}: ${out[k]} vs ${expected}`);
    }
  });

  it('resizes interleaved channels independently', () => {
    const px = new Uint8Array(6 * 4 * 4);
    for (let i = 0; i < 24; i++) px.set([10, 200, 90, 255], i * 4);
    const out = resizeInterleaved(px, 6, 4, 12, 8, 4);
    assert.equal(out.length, 12 * 8 * 4);
    for (let i = 0; i < 96; i++) assert.deepEqual([...out.subarray(i * 4, i * 4 + 4)], [10, 200, 90, 255]);
  });

  it('quantize rounds and clamps', () => {
    const q = quantize(Float32Array.from([-3, 0.4, 0.6, 254.5, 300]), new Uint8Array(5), 255);
    assert.deepEqual([...q], [0, 0, 1, 255, 255]);
    const q10 = quantize(Float32Array.from([1022.6, 2000]), new Uint16Array(2), 1023);
    assert.deepEqual([...q10], [1023, 1023]);
  });

  it('quantize gives exactly what Math.round and a clamp give, ties and edges included', () => {
    // Network-like values (Y/255 from about -0.1 to 1.1), exact ties at every integer, values hugging the
    // ties and the clamps, tiny and huge magnitudes, and the non-finite ones.
    const values: number[] = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 3e38, -3e38];
    for (let k = -3; k <= 1030; k++) values.push(k + 0.5, k - 0.5, Math.fround(k + 0.5 - 2 ** -12), Math.fround(k + 0.5 + 2 ** -12), k);
    let seed = 12345;
    for (let i = 0; i < 200_000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      values.push((seed / 2 ** 32) * 1.2 - 0.1);
    }
    const src = Float32Array.from(values);
    for (const [gain, max, Out] of [
      [1, 255, Uint8Array],
      [255, 255, Uint8Array],
      [1, 1023, Uint16Array],
      [1020, 1023, Uint16Array],
    ] as const) {
      const got = quantize(src, new Out(src.length), max, gain);
      // The reference, stored the same way (a typed array turns NaN into 0).
      const want = new Out(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = Math.round((src[i] as number) * gain);
        want[i] = v < 0 ? 0 : v > max ? max : v;
      }
      for (let i = 0; i < src.length; i++) {
        if (got[i] !== want[i]) assert.fail(`gain ${gain}: ${src[i]} gave ${got[i]}, Math.round gives ${want[i]}`);
      }
    }
  });
});

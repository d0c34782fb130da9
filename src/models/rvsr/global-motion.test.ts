import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realLumaFrames } from '../../../test/helpers/real-luma.js';
import { ModelError } from '../../errors.js';
import { globalShift, motionSearchOf, roundHalfEven, shiftPlanes } from './global-motion.js';

const SEARCH = { radius: 3, stride: 2, refine: 'cubic', gate: 0.5 } as const;
const PARABOLA = { radius: 3, stride: 2, refine: 'parabola' } as const;

/** The w×h window of the real clip's first frame at (top, left), as Y/255 floats. */
const windowOf = (top: number, left: number, w: number, h: number): Float32Array => Float32Array.from(realLumaFrames(1, w, h, top, left)[0]!, (v) => v / 255);

describe('global motion (rvsr alignment)', () => {
  it('rounds halves to the even neighbour, as numpy and torch do', () => {
    assert.deepEqual(
      [2.5, 3.5, -2.5, -1.5, 0.5, -0.5, 1.4, -1.6, 7].map(roundHalfEven),
      [2, 4, -2, -2, 0, 0, 1, -2, 7],
    );
  });

  it('finds a window moved over real footage by whole input pixels, in output pixels, in every direction', () => {
    const w = 120;
    const h = 80;
    const prev = windowOf(170, 290, w, h);
    for (const [dy, dx] of [[0, 0], [1, 0], [0, -2], [-3, 3], [2, 1], [-1, -3]] as const) {
      const cur = windowOf(170 + dy, 290 + dx, w, h);
      for (const search of [SEARCH, PARABOLA]) {
        assert.deepEqual(globalShift(prev, cur, w, h, 4, search), [4 * dy, 4 * dx], `moved ${dy}, ${dx}, ${search.refine}`);
        assert.deepEqual(globalShift(prev, cur, w, h, 2, search), [2 * dy, 2 * dx], `moved ${dy}, ${dx}, ${search.refine}`);
      }
    }
    // Beyond the search's radius it cannot say: the parabola's best lies on the radius, the cubic's less than an
    // input pixel past it (its refinement tries the output pixels around the best whole one), never further.
    const far = windowOf(170, 290 + 6, w, h);
    assert.ok(Math.abs(globalShift(prev, far, w, h, 2, PARABOLA)[1]) <= 2 * 3);
    assert.ok(Math.abs(globalShift(prev, far, w, h, 2, SEARCH)[1]) < 2 * (3 + 1));
  });

  it('finds a window moved by a fraction of an input pixel to the output pixel, where the parabola often misses', () => {
    // Real footage box-averaged scale x scale: moving the window by one full-size pixel moves the small frame by
    // 1 / scale of its pixel.
    const small = (top: number, left: number, scale: number, w: number, h: number): Float32Array => {
      const big = realLumaFrames(1, w * scale, h * scale, top, left)[0]!;
      const out = new Float32Array(w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let sum = 0;
          for (let i = 0; i < scale; i++) for (let j = 0; j < scale; j++) sum += big[(y * scale + i) * w * scale + x * scale + j] as number;
          out[y * w + x] = sum / (scale * scale) / 255;
        }
      }
      return out;
    };
    let parabolaExact = 0;
    let tried = 0;
    for (const scale of [2, 4]) {
      const [w, h] = [96, 64];
      const prev = small(150, 200, scale, w, h);
      for (const [dy, dx] of [[1, 0], [0, 1], [1, -3], [-1, 1], [3, 2], [-2, -5]] as const) {
        const cur = small(150 + dy, 200 + dx, scale, w, h);
        assert.deepEqual(globalShift(prev, cur, w, h, scale, SEARCH), [dy, dx], `x${scale}: moved ${dy}, ${dx} output pixels`);
        const p = globalShift(prev, cur, w, h, scale, PARABOLA);
        if (p[0] === dy && p[1] === dx) parabolaExact++;
        tried++;
      }
    }
    assert.ok(parabolaExact < tried, 'the parabola gets every one too: these moves test nothing the old refinement missed');
  });

  it('on noisy footage leaves the fraction to the parabola unless the resampled fit is clearly better (its gate)', () => {
    // Real footage moved by whole input pixels, independent noise on each frame (a fixed generator): resampling
    // smooths the noise, so some fraction always fits a little better than the whole shift.
    let seed = 7;
    const noise = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed / 2147483648 - 0.5) * (48 / 255);
    };
    const noisy = (top: number, left: number): Float32Array => windowOf(top, left, 120, 80).map((v) => v + noise());
    const ungated = { ...SEARCH, gate: 1 } as const;
    let fractions = 0;
    for (const [dy, dx] of [[0, 0], [1, 0], [0, -2], [-1, 1], [2, 2]] as const) {
      const [prev, cur] = [noisy(170, 290), noisy(170 + dy, 290 + dx)];
      const gated = globalShift(prev, cur, 120, 80, 2, SEARCH);
      assert.deepEqual(gated, globalShift(prev, cur, 120, 80, 2, PARABOLA), `moved ${dy}, ${dx}: the parabola's`);
      assert.deepEqual(gated, [2 * dy, 2 * dx], `moved ${dy}, ${dx}`);
      const [fy, fx] = globalShift(prev, cur, 120, 80, 2, ungated);
      if (fy % 2 !== 0 || fx % 2 !== 0) fractions++;
    }
    assert.ok(fractions > 0, 'without the gate every shift stays whole too: this noise tests nothing');
  });

  it('reads no motion on a flat frame or one too small to search', () => {
    const flat = new Float32Array(64 * 48).fill(0.5);
    assert.deepEqual(globalShift(flat, flat, 64, 48, 2, SEARCH), [0, 0]);
    const tiny = Float32Array.from({ length: 8 * 8 }, (_, i) => (i % 7) / 7);
    assert.deepEqual(globalShift(tiny, tiny.slice().reverse(), 8, 8, 4, SEARCH), [0, 0]);
  });

  it('moves planes in place so that out at p is in at p + d, the edges replicated, for shifts inside and beyond the plane', () => {
    const w = 7;
    const h = 5;
    const channels = 2;
    const planes = Float32Array.from({ length: channels * w * h }, (_, i) => i * 1.5 - 3);
    const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, v));
    for (const [dy, dx] of [[0, 0], [1, 2], [-2, 3], [3, -1], [0, -6], [2, 9], [-7, -8], [4, 0], [-4, 0], [0, 1], [0, -1]] as const) {
      const out = shiftPlanes(planes.slice(), channels, w, h, dy, dx);
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const want = planes[c * w * h + clamp(y + dy, h) * w + clamp(x + dx, w)];
            assert.equal(out[c * w * h + y * w + x], want, `d ${dy},${dx} c ${c} at ${y},${x}`);
          }
        }
      }
    }
  });

  it("reads the search from a model's metadata, and refuses one it does not know", () => {
    assert.equal(motionSearchOf(undefined, 'm.onnx'), null);
    assert.deepEqual(motionSearchOf({ estimator: 'global-shift', radius: 3, stride: 2, refine: 'cubic', gate: 0.5, note: 'x' }, 'm.onnx'), SEARCH);
    assert.deepEqual(motionSearchOf({ estimator: 'global-shift', radius: 3, stride: 2 }, 'm.onnx'), PARABOLA, 'exported before the refinement was named');
    assert.throws(() => motionSearchOf({ estimator: 'global-shift', radius: 3, stride: 2, refine: 'lanczos' }, 'm.onnx'), ModelError);
    assert.throws(() => motionSearchOf({ estimator: 'global-shift', radius: 3, stride: 2, refine: null }, 'm.onnx'), ModelError);
    assert.throws(() => motionSearchOf({ estimator: 'global-shift', radius: 3, stride: 2, refine: 'parabola', gate: 0.5 }, 'm.onnx'), ModelError, 'the parabola has no gate');
    for (const gate of [undefined, 0, 1.5, '0.5']) {
      assert.throws(() => motionSearchOf({ estimator: 'global-shift', radius: 3, stride: 2, refine: 'cubic', gate }, 'm.onnx'), ModelError, `gate ${gate}`);
    }
    assert.throws(() => motionSearchOf({ estimator: 'optical-flow', radius: 3, stride: 2 }, 'm.onnx'), ModelError);
    assert.throws(() => motionSearchOf({ estimator: 'global-shift', radius: 0, stride: 2 }, 'm.onnx'), /m\.onnx's metadata asks for motion/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realLumaFrames } from '../../../test/helpers/real-luma.js';
import { ModelError } from '../../errors.js';
import { globalShift, motionSearchOf, roundHalfEven, shiftPlanes } from './global-motion.js';

const SEARCH = { radius: 3, stride: 2 };

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
      assert.deepEqual(globalShift(prev, cur, w, h, 4, SEARCH), [4 * dy, 4 * dx], `moved ${dy}, ${dx}`);
      assert.deepEqual(globalShift(prev, cur, w, h, 2, SEARCH), [2 * dy, 2 * dx]);
    }
    // Beyond the search's radius it cannot say: the best it can do lies on the radius, never beyond.
    const far = globalShift(prev, windowOf(170, 290 + 6, w, h), w, h, 2, SEARCH);
    assert.ok(Math.abs(far[1]) <= 2 * 3, `${far.join()}`);
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
    assert.deepEqual(motionSearchOf({ estimator: 'global-shift', radius: 3, stride: 2, note: 'x' }, 'm.onnx'), SEARCH);
    assert.throws(() => motionSearchOf({ estimator: 'optical-flow', radius: 3, stride: 2 }, 'm.onnx'), ModelError);
    assert.throws(() => motionSearchOf({ estimator: 'global-shift', radius: 0, stride: 2 }, 'm.onnx'), /m\.onnx's metadata asks for motion/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realLumaFrames } from '../../../test/helpers/real-luma.js';
import { ModelError } from '../../errors.js';
import { blockEdges, blockShifts, globalShift, motionSearchOf, moveBlocks, roundHalfEven, shiftPlanes } from './global-motion.js';

const SEARCH = { radius: 3, stride: 2, refine: 'cubic', gate: 0.5 } as const;
const PARABOLA = { radius: 3, stride: 2, refine: 'parabola' } as const;

/** The w×h window of the real clip's first frame at (top, left), as Y/255 floats. */
const windowOf = (top: number, left: number, w: number, h: number): Float32Array => Float32Array.from(realLumaFrames(1, w, h, top, left)[0]!, (v) => v / 255);

/**
 * Real footage box-averaged scale x scale: moving the window by one full-size pixel moves the small frame by
 * 1 / scale of its pixel.
 */
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

  it('follows what moves on its own: each block of a frame whose parts move apart finds its own motion', () => {
    // Left half of the frame from one window, right half from another; from prev to cur the left moves by
    // (1, -2) input pixels and the right by (-2, 1). Blocks of 24 on a 96x48 frame: 2 rows of 4.
    const [w, h, half] = [96, 48, 48];
    const compose = (d: readonly [number, number], e: readonly [number, number]): Float32Array => {
      const left = windowOf(170 + d[0], 290 + d[1], w, h);
      const right = windowOf(60 + e[0], 100 + e[1], w, h);
      return Float32Array.from(left, (v, i) => (i % w < half ? v : (right[i] as number)));
    };
    const prev = compose([0, 0], [0, 0]);
    const cur = compose([1, -2], [-2, 1]);
    for (const scale of [2, 4]) {
      const { rows, cols, shifts: d } = blockShifts(prev, cur, w, h, scale, { ...SEARCH, block: 24 }, 24);
      assert.deepEqual([rows, cols], [[0, 24, 48], [0, 24, 48, 72, 96]]);
      // Within an input pixel of each side's motion (the fraction of a small block's fit is its own), on the
      // blocks away from the seam at x = 48 (one shift for the whole frame could not be near both).
      const near = (got: ArrayLike<number>, [dy, dx]: readonly [number, number]): boolean =>
        Math.abs((got[0] as number) - dy * scale) < scale && Math.abs((got[1] as number) - dx * scale) < scale;
      for (let i = 0; i < 2; i++) {
        const left = d.subarray((i * 4 + 0) * 2, (i * 4 + 0) * 2 + 2);
        const right = d.subarray((i * 4 + 3) * 2, (i * 4 + 3) * 2 + 2);
        assert.ok(near(left, [1, -2]), `x${scale} row ${i}, left: ${left}`);
        assert.ok(near(right, [-2, 1]), `x${scale} row ${i}, right: ${right}`);
      }
    }
    // A frame that is one block (or less) gets the global shift.
    assert.deepEqual([...blockShifts(prev, cur, w, h, 2, SEARCH, 96).shifts], globalShift(prev, cur, w, h, 2, SEARCH));
  });

  it('keeps the whole frame\'s more exact estimate on most blocks of a pan whose own estimate misses it', (t) => {
    // A pan by fractions of an input pixel (the fraction test's moves) in blocks of 24: each block's own estimate,
    // from a sixth of the samples, misses the fraction on some; the whole frame's finds it, and fits those blocks
    // better on most.
    let [blocks, ownMissed, missed] = [0, 0, 0];
    for (const scale of [2, 4]) {
      const [w, h] = [96, 64];
      const prev = small(150, 200, scale, w, h);
      for (const [dy, dx] of [[1, 0], [0, 1], [1, -3], [-1, 1], [3, 2], [-2, -5]] as const) {
        const cur = small(150 + dy, 200 + dx, scale, w, h);
        assert.deepEqual(globalShift(prev, cur, w, h, scale, SEARCH), [dy, dx]);
        const { rows, cols, shifts } = blockShifts(prev, cur, w, h, scale, SEARCH, 24);
        for (let i = 0; i + 1 < rows.length; i++) {
          for (let j = 0; j + 1 < cols.length; j++) {
            // The block's own estimate, as blockShifts finds it before comparing.
            const [ya, yb] = [Math.max(0, rows[i]! - 4), Math.min(h, rows[i + 1]! + 4)];
            const [xa, xb] = [Math.max(0, cols[j]! - 4), Math.min(w, cols[j + 1]! + 4)];
            const crop = (f: Float32Array): Float32Array => Float32Array.from({ length: (yb - ya) * (xb - xa) }, (_, k) => f[(ya + Math.floor(k / (xb - xa))) * w + xa + (k % (xb - xa))] as number);
            const own = globalShift(crop(prev), crop(cur), xb - xa, yb - ya, scale, SEARCH);
            const k = (i * (cols.length - 1) + j) * 2;
            blocks++;
            if (own[0] !== dy || own[1] !== dx) ownMissed++;
            if (shifts[k] !== dy || shifts[k + 1] !== dx) missed++;
          }
        }
      }
    }
    t.diagnostic(`${blocks} blocks: ${ownMissed} miss the move on their own, ${missed} after the comparison`);
    assert.ok(ownMissed >= 5, 'the blocks find the move on their own too: this pan tests nothing the comparison decides');
    assert.ok(missed <= ownMissed / 3, `${missed} of ${blocks} blocks miss the move, ${ownMissed} on their own`);
  });

  it('cuts an axis into blocks as even as whole pixels make them, none thin at the edge', () => {
    assert.deepEqual(blockEdges(64, 48), [0, 64], 'shorter than one and a half blocks: one');
    assert.deepEqual(blockEdges(96, 48), [0, 48, 96]);
    assert.deepEqual(blockEdges(360, 48), [0, 45, 90, 135, 180, 225, 270, 315, 360]);
    assert.deepEqual(blockEdges(20, 48), [0, 20]);
    for (let size = 1; size <= 400; size++) {
      const e = blockEdges(size, 48);
      assert.equal(e[0], 0);
      assert.equal(e.at(-1), size);
      for (let i = 1; i < e.length; i++) {
        const side = (e[i] as number) - (e[i - 1] as number);
        assert.ok(side <= 72 && (e.length === 2 || side >= 36), `size ${size}: ${e}`);
      }
    }
  });

  it('moves each block by its own shift so that out at p is in at p + d of its block, the edges replicated', () => {
    // Blocks of 3 columns x 2 rows, uneven, on a frame of 11 x 7; moved on it (grid 1) and on planes twice its
    // size (grid 2, as an output is moved by the motion found on its input).
    const motion = { rows: [0, 3, 7], cols: [0, 4, 7, 11], shifts: Int32Array.from([0, 0, 1, 2, -2, 3, 3, -1, 0, -13, 9, 12]) };
    for (const grid of [1, 2]) {
      const [w, h, channels] = [11 * grid, 7 * grid, 2];
      const planes = Float32Array.from({ length: channels * w * h }, (_, i) => i * 1.5 - 3);
      const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, v));
      const out = moveBlocks(planes, channels, w, h, motion, grid);
      const blockOf = (v: number, edges: number[]): number => edges.findIndex((e, k) => v >= grid * e && v < grid * (edges[k + 1] as number));
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const b = (blockOf(y, motion.rows) * 3 + blockOf(x, motion.cols)) * 2;
            const shifts = motion.shifts;
            const [dy, dx] = [shifts[b] as number, shifts[b + 1] as number];
            assert.equal(out[c * w * h + y * w + x], planes[c * w * h + clamp(y + dy, h) * w + clamp(x + dx, w)], `grid ${grid}, c ${c} at ${y},${x}`);
          }
        }
      }
      // One shift everywhere is the whole-frame move.
      const same = { ...motion, shifts: Int32Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 2 : -1)) };
      assert.deepEqual(moveBlocks(planes, channels, w, h, same, grid), shiftPlanes(planes.slice(), channels, w, h, 2, -1));
    }
  });

  it('moves wide blocks (runs copied natively) as it moves narrow ones', () => {
    // Rows of 600: two blocks of 300 (each run long enough for the native copy), then one merged run of 600.
    const [w, h] = [600, 5];
    const planes = Float32Array.from({ length: w * h }, (_, i) => Math.sin(i) * 100);
    const clamp = (v: number, n: number): number => Math.min(n - 1, Math.max(0, v));
    for (const shifts of [[0, 5, 2, -2], [1, -3, 1, -3], [-1, 700, 3, -650]]) {
      const motion = { rows: [0, 5], cols: [0, 300, 600], shifts: Int32Array.from(shifts) };
      const out = moveBlocks(planes, 1, w, h, motion, 1);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const b = x < 300 ? 0 : 2;
          assert.equal(out[y * w + x], planes[clamp(y + shifts[b]!, h) * w + clamp(x + shifts[b + 1]!, w)], `${shifts}: at ${y},${x}`);
        }
      }
    }
    assert.throws(() => moveBlocks(planes, 1, w, h, { rows: [0, 5], cols: [0, 600], shifts: Int32Array.from([1, 1]) }, 1, planes), RangeError, 'not in place');
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
    const blocks = { estimator: 'block-shift', radius: 3, stride: 2, refine: 'cubic', gate: 0.5 };
    assert.deepEqual(motionSearchOf({ ...blocks, block: 48 }, 'm.onnx'), { ...SEARCH, block: 48 });
    for (const block of [undefined, 0, 4, 48.5, '48', 4096]) {
      assert.throws(() => motionSearchOf({ ...blocks, block }, 'm.onnx'), ModelError, `block ${block}`);
    }
    assert.throws(() => motionSearchOf({ ...blocks, estimator: 'global-shift', block: 48 }, 'm.onnx'), ModelError, 'a global shift has no blocks');
    assert.throws(() => motionSearchOf({ estimator: 'global-shift', radius: 0, stride: 2 }, 'm.onnx'), /m\.onnx's metadata asks for motion/);
  });
});

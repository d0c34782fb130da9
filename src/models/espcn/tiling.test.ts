import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadOnnxLuma } from '../backends/onnxruntime.js';
import { findModel, trainedScales } from '../registry.js';
import { resolveModel } from '../resolve-model.js';
import { DEFAULT_OVERLAP, stripsFor, upscaleLuma } from './upscale-frame.js';

/** A textured 8-bit plane: two gratings and deterministic noise, so every strip border cuts through detail. */
const texture = (w: number, h: number): Uint8Array => {
  const out = new Uint8Array(w * h);
  let seed = 12345;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const v = 128 + 60 * Math.sin(x * 0.7 + y * 0.3) + 30 * Math.cos(y * 1.3) + ((seed >>> 24) % 21) - 10;
      out[y * w + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return out;
};

/** The largest difference between two upscaled planes, in 8-bit steps. */
const largestDifference = (a: Float32Array, b: Float32Array): number => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
};

describe('stripsFor', () => {
  it('keeps every row exactly once, each strip reading `overlap` real rows beyond what it keeps', () => {
    for (const [w, h, budget] of [[64, 100, 64 * 30], [640, 360, 640 * 120], [7, 5, 1000], [50, 41, 50 * 9]] as const) {
      const strips = stripsFor(w, h, { maxPixels: budget, overlap: 4 });
      let next = 0;
      for (const s of strips) {
        assert.equal(s.keepStart, next);
        assert.ok(s.keepEnd > s.keepStart);
        assert.equal(s.inStart, Math.max(0, s.keepStart - 4));
        assert.equal(s.inEnd, Math.min(h, s.keepEnd + 4));
        next = s.keepEnd;
      }
      assert.equal(next, h);
      if (w * h <= budget) assert.equal(strips.length, 1);
      else assert.ok(strips.length > 1 && strips.every((s) => (s.inEnd - s.inStart) * w <= Math.max(budget, w * (16 + 8))));
    }
  });

  it('with `align`, each strip starts on a multiple of it, still reading at least `overlap` rows before what it keeps', () => {
    const strips = stripsFor(96, 77, { maxPixels: 96 * 52, overlap: 18, align: 4 });
    assert.deepEqual(
      strips.map((s) => s.inStart),
      [0, 0, 12, 28, 44],
    );
    for (const s of strips) assert.ok(s.keepStart - s.inStart >= Math.min(18, s.keepStart));
  });
});

describe('tiled inference', () => {
  for (const [family, scale] of [['espcn', 2], ['espcn', 3], ['espcn', 4], ['espcn-int8', 2], ['sesr', Math.max(...trainedScales('sesr'))], ['sesr-int8', 2], ['sesr-int8', 3]] as const) {
    it(`equals the untiled output within 1e-4 (${family} x${scale}, shipped model, strips overlapping by its receptive radius)`, async () => {
      const entry = findModel(family, scale);
      const overlap = (entry.meta.architecture as { receptiveRadius?: number } | undefined)?.receptiveRadius ?? DEFAULT_OVERLAP;
      const model = await loadOnnxLuma({ path: entry.path, name: entry.name, scale, threads: 1 });
      try {
        const [w, h] = [96, 77];
        const plane = { width: w, height: h, data: texture(w, h) };
        const whole = await upscaleLuma(model, plane, 8, { maxPixels: w * h, overlap });
        const budget = w * (16 + 2 * overlap); // 16 kept rows and the overlap on both sides
        assert.ok(stripsFor(w, h, { maxPixels: budget, overlap }).length >= 4);
        const tiled = await upscaleLuma(model, plane, 8, { maxPixels: budget, overlap });
        const worst = largestDifference(whole, tiled) / 255;
        assert.ok(worst <= 1e-4, `largest difference ${worst}`);
        // And the overlap matters: without it the strip borders differ visibly.
        const naive = await upscaleLuma(model, plane, 8, { maxPixels: budget, overlap: 0 });
        const naiveWorst = largestDifference(whole, naive) / 255;
        assert.ok(naiveWorst > 1e-3, `without overlap the difference is only ${naiveWorst}`);
      } finally {
        await model.dispose();
      }
    });
  }

  for (const [family, scale, expected, why] of [
    ['unet', 4, [18, 4], 'strided stages'],
    ['qsr', 2, [15, 2], 'its layers on the 2x2 grid'],
  ] as const) {
    it(`equals the untiled output within 1e-4 for ${family} x${scale} (${why}: strips aligned to its grid), and differs when they are not`, async () => {
      const resolved = resolveModel({ model: family, scale, threads: 1, backend: 'onnx', device: 'cpu' });
      const { overlap, align } = resolved.tiling;
      assert.deepEqual([overlap, align], expected);
      const model = await loadOnnxLuma({ path: resolved.path, name: resolved.name, scale, threads: 1 });
      try {
        const [w, h] = [96, 77];
        const plane = { width: w, height: h, data: texture(w, h) };
        const whole = await upscaleLuma(model, plane, 8, { maxPixels: w * h, overlap });
        const worstAgainst = (other: Float32Array): number => largestDifference(whole, other) / 255;
        const budget = w * (16 + 2 * overlap);
        const tiled = await upscaleLuma(model, plane, 8, { maxPixels: budget, overlap, align });
        assert.ok(stripsFor(w, h, { maxPixels: budget, overlap, align }).length >= 3);
        assert.ok(worstAgainst(tiled) <= 1e-4, `largest difference ${worstAgainst(tiled)}`);
        const unaligned = await upscaleLuma(model, plane, 8, { maxPixels: budget, overlap });
        assert.ok(worstAgainst(unaligned) > 1e-3, `unaligned strips differ by only ${worstAgainst(unaligned)}`);
      } finally {
        await model.dispose();
      }
    });
  }

  it('srresnet x4: strips with the overlap its export measured (not its 40-pixel radius) stay within an 8-bit step of the whole frame', async () => {
    const resolved = resolveModel({ model: 'srresnet', scale: 4, threads: 1, backend: 'onnx', device: 'cpu' });
    const { overlap } = resolved.tiling;
    const radius = (findModel('srresnet', 4).meta.architecture as { receptiveRadius: number }).receptiveRadius;
    assert.ok(overlap >= 4 && overlap < radius, `overlap ${overlap}, radius ${radius}`);
    const model = await loadOnnxLuma({ path: resolved.path, name: resolved.name, scale: 4, threads: 1 });
    try {
      const [w, h] = [48, 90];
      const plane = { width: w, height: h, data: texture(w, h) };
      const whole = await upscaleLuma(model, plane, 8, { maxPixels: w * h, overlap });
      const worstAgainst = (other: Float32Array): number => largestDifference(whole, other);
      const budget = w * (16 + 2 * overlap);
      assert.ok(stripsFor(w, h, { maxPixels: budget, overlap }).length >= 3);
      const tiled = await upscaleLuma(model, plane, 8, { maxPixels: budget, overlap });
      assert.ok(worstAgainst(tiled) < 1, `largest difference ${worstAgainst(tiled)} (8-bit steps)`);
      const short = await upscaleLuma(model, plane, 8, { maxPixels: budget, overlap: 1 });
      assert.ok(worstAgainst(short) > worstAgainst(tiled), 'a 1-row overlap should be worse: the test would not see a bad overlap');
    } finally {
      await model.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allocateFrame, type Frame } from '../pipeline/frame.js';
import { createQualityProbe, downscaleFrame, resizePlane } from './create-quality-probe.js';

/** A smooth 8-bit test frame (gradients and a ripple), chroma flat. */
const frame = (width: number, height: number, index = 0): Frame => {
  const f = allocateFrame(index, index * 40, { width, height, pixFmt: 'yuv420p' });
  const [y, u, v] = f.planes;
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++) y.data[r * width + c] = Math.round(120 + 60 * Math.sin(c / 5) * Math.cos(r / 7));
  u.data.fill(110);
  v.data.fill(140);
  return f;
};

/** A stand-in for the network: nearest-neighbour upscaling (the frame's own samples, repeated). */
const nearest = (f: Frame, s: number): Frame => {
  const out = allocateFrame(f.index, f.ptsMs, { ...f.format, width: f.format.width * s, height: f.format.height * s });
  out.planes.forEach((p, i) => {
    const src = f.planes[i]!;
    for (let r = 0; r < p.height; r++)
      for (let c = 0; c < p.width; c++) {
        p.data[r * p.width + c] =
          src.data[Math.min(src.height - 1, Math.floor(r / s)) * src.width + Math.min(src.width - 1, Math.floor(c / s))]!;
      }
  });
  return out;
};

describe('createQualityProbe', () => {
  it('self: the model sees the input downscaled by the scale; sizes round down', () => {
    const probe = createQualityProbe({ mode: 'self', scale: 3 });
    const low = probe.prepare(frame(64, 50));
    assert.deepEqual([low.format.width, low.format.height], [21, 16]);
    assert.deepEqual([low.planes[1].width, low.planes[1].height], [11, 8]);
    assert.equal(probe.crop, 3);
  });

  it('self: a smooth frame gives finite metrics, and bicubic beats nearest neighbour', async () => {
    const probe = createQualityProbe({ mode: 'self', scale: 2 });
    const src = frame(64, 48);
    const low = probe.prepare(src);
    const q = await probe.measure(src, low, nearest(low, 2));
    assert.ok(q);
    assert.ok(Number.isFinite(q.srvid.psnr) && Number.isFinite(q.bicubic.psnr));
    assert.ok(q.bicubic.psnr > q.srvid.psnr, `bicubic ${q.bicubic.psnr} vs nearest ${q.srvid.psnr}`);
    assert.ok(q.bicubic.ssim > q.srvid.ssim && q.bicubic.ssim <= 1);
  });

  it('consistency: an output that is plain bicubic scores exactly the bicubic baseline', async () => {
    const probe = createQualityProbe({ mode: 'consistency', scale: 2 });
    const src = frame(40, 32);
    assert.equal(probe.prepare(src), src);
    const out = allocateFrame(0, 0, { width: 80, height: 64, pixFmt: 'yuv420p' });
    out.planes.forEach((p, i) => p.data.set(resizePlane(src.planes[i]!, p.width, p.height, 2, 255).data));
    const q = await probe.measure(src, src, out);
    assert.ok(q);
    assert.deepEqual(q.srvid, q.bicubic);
    const worse = await probe.measure(src, src, nearest(src, 2));
    assert.ok(worse && worse.srvid.psnr !== q.srvid.psnr && Number.isFinite(worse.srvid.psnr));
  });

  it('reference: compares with the frame the reference gives, and reports null when there is none', async () => {
    const truth = frame(48, 32);
    const low = downscaleFrame(truth, 2);
    let calls = 0;
    const probe = createQualityProbe({ mode: 'reference', scale: 2, reference: async () => (calls++ === 0 ? truth : null) });
    const q = await probe.measure(low, low, nearest(low, 2));
    assert.ok(q && q.bicubic.psnr > q.srvid.psnr);
    assert.equal(await probe.measure(low, low, nearest(low, 2)), null);
  });

  it('identical frames give infinite PSNR and SSIM 1', async () => {
    const probe = createQualityProbe({ mode: 'reference', scale: 2, reference: async (f) => f });
    const low = frame(24, 16);
    const q = await probe.measure(low, low, nearest(low, 2));
    assert.equal(q?.srvid.psnr, Infinity);
    assert.equal(q?.srvid.ssim, 1);
  });
});

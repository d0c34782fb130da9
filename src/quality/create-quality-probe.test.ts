import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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

/** A consistency probe with a detail estimate on every frame, counting the shadow inferences it starts. */
const countingProbe = () => {
  let n = 0;
  const probe = createQualityProbe({ mode: 'consistency', scale: 2, shadow: { every: 1, upscale: async (lr) => (n++, nearest(lr, 2)) } });
  return { probe, started: () => n };
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

  describe('consistency with a shadow (detail estimate)', () => {
    /** The probe's own bicubic as the "network": its detail must equal the bicubic baseline exactly. */
    const bicubicUp = (f: Frame, s: number): Frame => {
      const out = allocateFrame(f.index, f.ptsMs, { ...f.format, width: f.format.width * s, height: f.format.height * s });
      out.planes.forEach((p, i) => p.data.set(resizePlane(f.planes[i]!, p.width, p.height, s, 255).data));
      return out;
    };
    /** Runs `count` frames through prepare and measure as the pipeline does, with `up` as the network. */
    const run = async (every: number, count: number, up: (f: Frame) => Frame, size: [number, number] = [64, 48]) => {
      const calls: { index: number; width: number; height: number }[] = [];
      const probe = createQualityProbe({
        mode: 'consistency',
        scale: 2,
        shadow: {
          every,
          upscale: async (lr) => {
            calls.push({ index: lr.index, width: lr.format.width, height: lr.format.height });
            return up(lr);
          },
        },
      });
      const results = [];
      for (let i = 0; i < count; i++) {
        const src = frame(size[0], size[1], i);
        const input = probe.prepare(src);
        assert.equal(input, src, 'consistency mode gives the model the input itself');
        const out = nearest(src, 2);
        const before = { src: src.bytes.slice(), out: out.bytes.slice() };
        const q = await probe.measure(src, input, out);
        assert.deepEqual(out.bytes, before.out, `frame ${i}: the output frame is untouched`);
        assert.deepEqual(src.bytes, before.src, `frame ${i}: the input frame is untouched`);
        results.push(q!);
      }
      await probe.close();
      return { probe, calls, results };
    };

    it('measures detail on every Nth frame only; the network sees the input downscaled by the scale', async () => {
      const { probe, calls, results } = await run(3, 7, (f) => nearest(f, 2));
      assert.equal(probe.detailEvery, 3);
      assert.equal(probe.crop, 0);
      assert.deepEqual(
        results.map((q) => q.detail !== undefined),
        [true, false, false, true, false, false, true],
      );
      assert.deepEqual(
        calls,
        [0, 3, 6].map((index) => ({ index, width: 32, height: 24 })),
      );
      for (const [i, q] of results.entries()) {
        assert.ok(Number.isFinite(q.srvid.psnr), 'the consistency figures are still there');
        if (!q.detail) {
          assert.equal(q.costMs.shadow, 0);
          continue;
        }
        // Nearest neighbour as the "network" loses to bicubic on a smooth frame.
        assert.ok(q.detail.bicubic.psnr > q.detail.srvid.psnr, `frame ${i}: ${JSON.stringify(q.detail)}`);
        assert.ok(q.detail.bicubic.ssim > q.detail.srvid.ssim && q.detail.bicubic.ssim <= 1);
        assert.ok(q.costMs.shadow! > 0, `frame ${i}: the shadow's main-thread time is counted`);
      }
    });

    it('a network that is plain bicubic scores exactly the bicubic baseline', async () => {
      const { results } = await run(2, 3, (f) => bicubicUp(f, 2));
      assert.ok(results[0]!.detail && results[2]!.detail && !results[1]!.detail);
      for (const q of [results[0]!, results[2]!]) assert.deepEqual(q.detail!.srvid, q.detail!.bicubic);
    });

    it("is self mode's measurement of the same frame, on frames of odd size too", async () => {
      for (const [w, h] of [
        [64, 48],
        [67, 51],
      ] as const) {
        const { results } = await run(1, 1, (f) => nearest(f, 2), [w, h]);
        const self = createQualityProbe({ mode: 'self', scale: 2 });
        const src = frame(w, h);
        const low = self.prepare(src);
        const q = await self.measure(src, low, nearest(low, 2));
        assert.deepEqual(results[0]!.detail, { srvid: q!.srvid, bicubic: q!.bicubic });
      }
    });

    it('starts the network in prepare(), and also works when measure() is called alone', async () => {
      const { probe, started } = countingProbe();
      const a = frame(40, 32, 0);
      probe.prepare(a);
      assert.equal(started(), 1, 'the shadow runs beside the frame, not after it');
      assert.ok((await probe.measure(a, a, nearest(a, 2)))?.detail);
      assert.equal(started(), 1, 'one inference per shadow frame');
      const b = frame(40, 32, 1);
      assert.ok((await probe.measure(b, b, nearest(b, 2)))?.detail);
      assert.equal(started(), 2);
    });

    it('prepare(frame, false), for a live run that is behind, starts no network work for the detail estimate', async () => {
      const { probe, started } = countingProbe();
      const a = frame(40, 32, 0);
      assert.equal(probe.prepare(a, false), a);
      assert.equal(started(), 0);
      probe.release!(a);
    });

    it('release() lets go of a prepared shadow: a live run behind real time keeps none of its frames', async () => {
      const { probe, started } = countingProbe();
      const a = frame(40, 32, 0);
      probe.prepare(a);
      probe.release!(a);
      // Let go: measuring it after all starts the network again.
      assert.ok((await probe.measure(a, a, nearest(a, 2)))?.detail);
      assert.equal(started(), 2);
      // Frames prepared and released by the hundred, as a run that stays behind would: none is kept.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      // Made in a plain function: a suspended async function's registers could still hold its last frame.
      const prepareAll = (from: number, to: number, release: boolean): WeakRef<Frame>[] =>
        Array.from({ length: to - from + 1 }, (_, k) => {
          const f = frame(40, 32, from + k);
          probe.prepare(f);
          if (release) probe.release!(f);
          return new WeakRef(f);
        });
      const refs = prepareAll(1, 100, true);
      // The shadows' promises settle; two collections a tick apart (a WeakRef keeps its target for the rest of its job).
      for (let k = 0; k < 2; k++) await new Promise((r) => setTimeout(r, 10)).then(gc);
      assert.deepEqual(
        refs.filter((r) => r.deref() !== undefined).map((r) => r.deref()!.index),
        [],
        'released frames are garbage',
      );
      // And measuring a later frame lets go of every earlier one, measured or not.
      const kept = prepareAll(101, 110, false);
      const last = frame(40, 32, 111);
      probe.prepare(last);
      await probe.measure(last, last, nearest(last, 2));
      for (let k = 0; k < 2; k++) await new Promise((r) => setTimeout(r, 10)).then(gc);
      assert.deepEqual(
        kept.filter((r) => r.deref() !== undefined).map((r) => r.deref()!.index),
        [],
        'frames before a measured one are let go',
      );
    });

    it("reports the network's failure from measure(); frames too small to downscale get no estimate", async () => {
      const failing = createQualityProbe({
        mode: 'consistency',
        scale: 2,
        shadow: { every: 1, upscale: () => Promise.reject(new Error('worker gone')) },
      });
      const a = frame(40, 32);
      failing.prepare(a);
      await assert.rejects(failing.measure(a, a, nearest(a, 2)), /worker gone/);
      failing.prepare(frame(40, 32, 1)); // never measured: its rejection must not go unhandled
      await failing.close();
      const { results, calls } = await run(1, 2, (f) => nearest(f, 2), [14, 40]);
      assert.deepEqual(calls, []);
      assert.ok(results.every((q) => q.detail === undefined && Number.isFinite(q.srvid.psnr)));
    });

    it('is for consistency mode only, with a positive whole `every`', () => {
      const upscale = async (f: Frame): Promise<Frame> => f;
      assert.throws(() => createQualityProbe({ mode: 'self', scale: 2, shadow: { every: 10, upscale } }), /consistency mode/);
      for (const every of [0, -1, 2.5, NaN])
        assert.throws(() => createQualityProbe({ mode: 'consistency', scale: 2, shadow: { every, upscale } }), /positive integer/);
      assert.equal(createQualityProbe({ mode: 'consistency', scale: 2 }).detailEvery, null);
    });
  });

  it('identical frames give infinite PSNR and SSIM 1', async () => {
    const probe = createQualityProbe({ mode: 'reference', scale: 2, reference: async (f) => f });
    const low = frame(24, 16);
    const q = await probe.measure(low, low, nearest(low, 2));
    assert.equal(q?.srvid.psnr, Infinity);
    assert.equal(q?.srvid.ssim, 1);
  });
});

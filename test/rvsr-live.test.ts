/**
 * A live run that falls behind sends frames to bicubic (or drops them); those frames never reach the recurrent
 * network, so the next frame it gets must not read a past that is not the frame just before it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstValueFrom, Subject, toArray } from 'rxjs';
import { allocateFrame, type Frame } from '../src/pipeline/frame.js';
import { upscaleLive, type LiveItem } from '../src/pipeline/operators/upscale-live.js';
import { loadOnnxRecurrent } from '../src/models/backends/onnxruntime.js';
import { createBicubicUpscaler } from '../src/models/bicubic-upscaler.js';
import { findModel } from '../src/models/registry.js';
import { createRecurrentUpscaler } from '../src/models/rvsr/recurrent-upscaler.js';
import { realLumaFrames } from './helpers/real-luma.js';

const W = 96;
const H = 64;

const frameOf = (index: number, luma: Uint8Array): Frame => {
  const f = allocateFrame(index, index * 40, { width: W, height: H, pixFmt: 'yuv420p' });
  f.planes[0].data.set(luma);
  f.planes[1].data.fill(128);
  f.planes[2].data.fill(128);
  return f;
};

describe('rvsr in a live run that falls behind', () => {
  it('a frame after frames that went to bicubic starts from no past (it equals the frame upscaled alone)', async () => {
    const entry = findModel('rvsr', 2);
    const load = () => loadOnnxRecurrent({ path: entry.path, name: entry.name, scale: 2, threads: 1 });
    const network = createRecurrentUpscaler(await load(), { maxPixels: 1 << 30, overlap: 6 });
    const frames = realLumaFrames(6, W, H).map((y, i) => frameOf(i, y));
    // At a measured 1 fps a frame fits only while the network is idle: frames arriving meanwhile go to bicubic.
    const policy = { whenBehind: 'bicubic' as const, maxLatencyMs: 100, maxBacklog: 100, expectedFps: 1 };
    const input = new Subject<Frame>();
    const items: LiveItem[] = [];
    const done = firstValueFrom(
      input.pipe(
        upscaleLive(network, createBicubicUpscaler(2), 1, policy, () => ({ frames: 0, oldestMs: 0 })),
        toArray(),
      ),
    );
    const settled = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
    input.next(frames[0]!); // network
    input.next(frames[1]!); // behind: bicubic
    input.next(frames[2]!); // behind: bicubic
    await settled();
    input.next(frames[3]!); // network again, after a gap of two frames
    await settled();
    input.next(frames[4]!); // network, straight after frame 3
    input.complete();
    items.push(...(await done));
    const routes = new Map(items.map((i) => [i.frame.index, i.route]));
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => routes.get(i)),
      ['network', 'fallback', 'fallback', 'network', 'network'],
    );
    const out = (i: number): Uint8Array => items.find((x) => x.frame.index === i)!.frame.planes[0].data as Uint8Array;
    const reference = createRecurrentUpscaler(await load(), { maxPixels: 1 << 30, overlap: 6 });
    const alone3 = (await reference.upscaleAlone!(frames[3]!)).frame.planes[0].data;
    assert.deepEqual(out(3), alone3, 'frame 3 read no past');
    // ...and frame 4 carries on from frame 3 (it differs from frame 4 alone).
    const alone4 = (await reference.upscaleAlone!(frames[4]!)).frame.planes[0].data;
    assert.notDeepEqual(out(4), alone4);
    await network.dispose();
    await reference.dispose();
  });
});

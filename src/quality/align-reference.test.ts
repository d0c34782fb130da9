import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable } from 'rxjs';
import { allocateFrame, type Frame } from '../pipeline/frame.js';
import type { FrameSource } from '../pipeline/ports.js';
import { createReferenceAligner } from './align-reference.js';

const format = { width: 8, height: 8, pixFmt: 'yuv420p' as const };
const at = (index: number, ptsMs: number | null): Frame => allocateFrame(index, ptsMs, format);

/** A reference source emitting frames at the given times; tracks releases and holds at most `highWater`. */
const source = (times: (number | null)[], highWater = 3) => {
  const released: number[] = [];
  let emit: (() => void) | null = null;
  let next = 0;
  let out = 0;
  const src: FrameSource = {
    format,
    highWater,
    frames: () =>
      new Observable<Frame>((sub) => {
        emit = () => {
          while (next < times.length && out < highWater) {
            out++;
            sub.next(at(next, times[next]!));
            next++;
          }
          if (next === times.length) sub.complete();
        };
        emit();
      }),
    release: (f) => {
      released.push(f.index);
      out--;
      emit?.();
    },
  };
  return { src, released };
};

describe('createReferenceAligner', () => {
  it("pairs frames by time relative to each stream's start, releasing the ones passed over", async () => {
    const { src, released } = source([1000, 1040, 1080, 1120, 1160, 1200]); // 25 fps reference, starts at 1 s
    const a = createReferenceAligner(src);
    const got = [];
    for (const t of [0, 80, 160]) got.push((await a.frameFor(at(got.length, t)))?.index ?? null); // 12.5 fps output from 0
    assert.deepEqual(got, [0, 2, 4]);
    assert.deepEqual(released, [0, 1, 2, 3]);
    assert.equal(a.unmatched, 0);
    await a.close();
  });

  it('returns null for an output frame with no reference frame near it, and after the reference ends', async () => {
    const { src } = source([0, 40, 200]);
    const a = createReferenceAligner(src);
    assert.equal((await a.frameFor(at(0, 0)))?.index, 0);
    assert.equal(await a.frameFor(at(1, 120)), null); // 120 is 80 from both neighbours, interval 160: no match
    assert.equal((await a.frameFor(at(2, 200)))?.index, 2);
    assert.equal(await a.frameFor(at(3, 400)), null);
    assert.equal(a.unmatched, 2);
  });

  it('pairs by index when the output has no timestamps', async () => {
    const { src } = source([null, null, null]);
    const a = createReferenceAligner(src);
    assert.equal((await a.frameFor(at(0, null)))?.index, 0);
    assert.equal((await a.frameFor(at(2, null)))?.index, 2);
    assert.equal(await a.frameFor(at(3, null)), null);
  });
});

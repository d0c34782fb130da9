import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerReport } from './queue.js';
import { createSegmentBoard } from './segment-board.js';

const report = (worker: string, frames: number, fps = 10): WorkerReport => ({
  worker,
  model: 'espcn-x2',
  backend: 'onnxruntime-cpu',
  frames,
  fps,
});

describe('createSegmentBoard', () => {
  it('counts segments and frames per worker and in all, with those done before this run', () => {
    // A resumed job: 1 of 4 segments (25 of 100 frames) was done before.
    const board = createSegmentBoard({ segments: 4, done: 1, framesDone: 25, totalFrames: 100 }, performance.now());
    board.working(report('a:1', 5), 1);
    board.working(report('b:2', 10, 20), 2);
    let m = board.message();
    assert.deepEqual(m.segments, { total: 4, done: 1, inHand: 2 });
    assert.deepEqual(m.frames, { done: 25, total: 100 });
    assert.deepEqual(
      m.workers.map((w) => [w.worker, w.segment, w.segmentFrames, w.fps, w.segmentsDone]),
      [
        ['a:1', 1, 5, 10, 0],
        ['b:2', 2, 10, 20, 0],
      ],
    );
    board.finished(report('a:1', 25, 12), 1, 25);
    m = board.message();
    assert.deepEqual(m.segments, { total: 4, done: 2, inHand: 1 });
    assert.deepEqual(m.frames, { done: 50, total: 100 });
    const a = m.workers.find((w) => w.worker === 'a:1');
    assert.deepEqual([a?.segment, a?.segmentsDone, a?.framesDone, a?.fps], [null, 1, 25, 12]);
  });

  it("shows a worker idle once its segment is in another's hands (a worker that died)", () => {
    const board = createSegmentBoard({ segments: 2, done: 0, framesDone: 0, totalFrames: 50 }, performance.now());
    board.working(report('a:1', 5), 0);
    board.inHand(new Map([[0, 'a:1']]));
    assert.equal(board.message().workers[0]?.segment, 0);
    // a:1 stopped reporting; its segment came back and b:2 took it.
    board.working(report('b:2', 3), 0);
    board.inHand(new Map([[0, 'b:2']]));
    const m = board.message();
    assert.deepEqual(
      m.workers.map((w) => [w.worker, w.segment]),
      [
        ['a:1', null],
        ['b:2', 0],
      ],
    );
    assert.equal(m.segments.inHand, 1);
    // A speed of 0 (a segment just taken) does not hide the last known one.
    board.working(report('b:2', 0, 0), 1);
    assert.equal(board.message().workers.find((w) => w.worker === 'b:2')?.fps, 10);
  });
});

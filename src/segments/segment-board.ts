/**
 * What a segmented run's dashboard shows about its workers: who took which segment, how fast each goes and
 * what each has finished, from the reports the runners pass on (a `srvid worker`'s progress and results
 * through the queue, or this process's own progress). Turns them into the monitor's workers message.
 */
import type { WorkerReport } from './queue.js';
import { SCHEMA_VERSION, type WorkerRow, type WorkersMessage } from '../monitor/messages.js';

interface Row {
  model: string;
  backend: string;
  segment: number | null;
  segmentFrames: number | null;
  fps: number;
  segmentsDone: number;
  framesDone: number;
  lastSeenMs: number;
}

export interface SegmentBoard {
  /** A worker's progress on a segment in hand. */
  readonly working: (report: WorkerReport, segment: number) => void;
  /** A segment the coordinator has counted and recorded: `frames` is its frame count. */
  readonly finished: (report: WorkerReport, segment: number, frames: number) => void;
  /** Every segment in hand now, and its worker: a worker that holds none is idle (done, or gone). */
  readonly inHand: (holders: ReadonlyMap<number, string>) => void;
  readonly message: () => WorkersMessage;
}

/** `startedMs`: the hello's time (performance.now()), from which the message's times count. */
export const createSegmentBoard = (
  status: { readonly segments: number; readonly done: number; readonly framesDone: number; readonly totalFrames: number },
  startedMs: number,
): SegmentBoard => {
  const rows = new Map<string, Row>();
  let segmentsDone = status.done;
  let framesDone = status.framesDone;
  let framesThisRun = 0;
  const inHandFrames = (): number => [...rows.values()].reduce((n, r) => n + (r.segmentFrames ?? 0), 0);
  const rowOf = (r: WorkerReport): Row => {
    const row = rows.get(r.worker) ?? {
      model: r.model,
      backend: r.backend,
      segment: null,
      segmentFrames: null,
      fps: 0,
      segmentsDone: 0,
      framesDone: 0,
      lastSeenMs: startedMs,
    };
    rows.set(r.worker, row);
    Object.assign(row, { model: r.model, backend: r.backend, lastSeenMs: performance.now() });
    if (r.fps > 0) row.fps = r.fps;
    return row;
  };
  return {
    working: (r, segment) => Object.assign(rowOf(r), { segment, segmentFrames: r.frames }),
    finished: (r, segment, frames) => {
      const row = rowOf(r);
      row.segmentsDone++;
      row.framesDone += frames;
      if (row.segment === segment) Object.assign(row, { segment: null, segmentFrames: null });
      segmentsDone++;
      framesDone += frames;
      framesThisRun += frames;
    },
    inHand: (holders) => {
      for (const [worker, row] of rows)
        if (row.segment !== null && holders.get(row.segment) !== worker) Object.assign(row, { segment: null, segmentFrames: null });
    },
    message: () => {
      const now = performance.now();
      const seconds = (now - startedMs) / 1000;
      const workers: WorkerRow[] = [...rows.entries()].map(([worker, r]) => ({
        worker,
        model: r.model,
        backend: r.backend,
        segment: r.segment,
        segmentFrames: r.segmentFrames,
        fps: r.fps,
        segmentsDone: r.segmentsDone,
        framesDone: r.framesDone,
        lastSeen: (r.lastSeenMs - startedMs) / 1000,
      }));
      return {
        type: 'workers',
        v: SCHEMA_VERSION,
        t: seconds,
        segments: { total: status.segments, done: segmentsDone, inHand: workers.filter((w) => w.segment !== null).length },
        frames: { done: framesDone, total: status.totalFrames },
        fps: seconds > 0 ? (framesThisRun + inHandFrames()) / seconds : 0,
        workers,
      };
    },
  };
};

/** Sends the board's message after a change, at most four times a second; `force`: at once (the start and the end). */
export const boardPublisher = (board: SegmentBoard, send: (m: WorkersMessage) => void): ((force?: boolean) => void) => {
  let last = -Infinity;
  return (force = false) => {
    if (!force && performance.now() - last < 250) return;
    last = performance.now();
    send(board.message());
  };
};

/**
 * Upscaling the segments a journal says are not done, here: one after another with one model loaded once.
 * What both schedulers share (this one and the queue's, run-on-queue.ts): the job's status, its progress
 * line, and the count that must hold before a segment is recorded.
 */
import { join } from 'node:path';
import { JobError } from '../errors.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import type { Journal, JournalSegment } from './journal.js';
import { workerName, type SegmentSettings, type WorkerReport } from './queue.js';
import type { Progress, Upscaler, UpscalerRuntime } from '../pipeline/ports.js';
import { verifySegment, type SegmentStatus } from './prepare-segments.js';
import type { SegmentBoard } from './segment-board.js';
import { upscaleSegment } from './upscale-segment.js';

export interface RunSegments {
  readonly dir: string;
  readonly journal: Journal;
  readonly status: SegmentStatus;
  readonly settings: SegmentSettings;
  readonly tools: FfmpegTools;
  /** Marks a verified segment done in the journal (written atomically). */
  readonly record: (index: number) => void;
  /** Frames in flight in each segment's pipeline. */
  readonly maxFramesInFlight: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
  /** The dashboard's view of the workers (with `--monitor`), and what to call after each change to it. */
  readonly board?: SegmentBoard;
  readonly onBoard?: () => void;
}

/** The segments a journal does not call done. */
export const pendingSegments = (j: Journal): JournalSegment[] => (j.segments ?? []).filter((s) => !s.done);

/** A progress line over the whole job: frames done before this run count, the rate is this run's own. */
export const meter = (status: SegmentStatus, onProgress?: (p: Progress) => void) => {
  const started = performance.now();
  return (framesNow: number): void => {
    const elapsedSec = (performance.now() - started) / 1000;
    const fps = elapsedSec > 0 ? framesNow / elapsedSec : 0;
    const frames = status.framesDone + framesNow;
    onProgress?.({
      frames,
      totalFrames: status.totalFrames,
      fps,
      elapsedSec,
      etaSec: fps > 0 ? (status.totalFrames - frames) / fps : null,
    });
  };
};

const checkCount = async (r: RunSegments, s: JournalSegment): Promise<void> => {
  if (!(await verifySegment(r.dir, s, r.tools.ffprobe))) {
    throw new JobError(
      `segment ${s.index} (${join(r.dir, s.output)}) does not hold its ${s.frames} frames after upscaling; rerun to redo it`,
    );
  }
};

/** Upscales every pending segment in this process, recording each once its frames are counted. */
export const runSegmentsHere = async (
  r: RunSegments & { readonly upscaler: Upscaler | null },
): Promise<{ runtime: UpscalerRuntime | null }> => {
  const todo = pendingSegments(r.journal);
  const upscaler = r.upscaler;
  if (todo.length === 0 || !upscaler) return { runtime: null };
  const progress = meter(r.status, r.onProgress);
  let framesBefore = 0;
  // This process is the one worker; the dashboard shows it as `srvid worker` processes are shown.
  const me = (frames: number, fps: number): WorkerReport => ({
    worker: workerName(),
    model: upscaler.runtime.model,
    backend: upscaler.runtime.backend,
    frames,
    fps,
  });
  // The caller owns the upscaler and disposes of it.
  for (const s of todo) {
    r.board?.working(me(0, 0), s.index);
    r.onBoard?.();
    const done = await upscaleSegment({
      tools: r.tools,
      upscaler,
      settings: r.settings,
      source: join(r.dir, s.source),
      output: join(r.dir, s.output),
      frames: s.frames,
      maxFramesInFlight: r.maxFramesInFlight,
      ...(r.signal ? { signal: r.signal } : {}),
      onProgress: (p) => {
        progress(framesBefore + p.frames);
        r.board?.working(me(p.frames, p.fps), s.index);
        r.onBoard?.();
      },
    });
    await checkCount(r, s);
    r.record(s.index);
    // Published with the next segment taken (or at the end): never a moment with none in hand between two.
    r.board?.finished(me(s.frames, done.fps), s.index, s.frames);
    framesBefore += s.frames;
    progress(framesBefore);
  }
  return { runtime: upscaler.runtime };
};

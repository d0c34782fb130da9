/**
 * upscaleSegmented: `srvid in out --resume` and `srvid in out --queue redis://…`. The input's video is cut at
 * keyframes into segments of about `segmentSeconds`, each segment is upscaled to a video-only file in the work
 * folder beside the output (here, or by `srvid worker` processes through a BullMQ queue), and the segments are
 * joined without re-encoding, with the input's other streams muxed in whole. A journal records every verified
 * segment, so the same command after a crash carries on where the last one stopped.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isFullRange } from '../ingest/decoder-args.js';
import { AbortedError, UsageError } from '../errors.js';
import { isUrl } from '../ffmpeg/protocols.js';
import { checkVideoEncoder } from '../ffmpeg/encoders.js';
import { resolveFfmpeg } from '../ffmpeg/resolve-ffmpeg.js';
import { markDone, writeJournal, type OptionsKey } from '../jobs/journal.js';
import { describeQueue, openSegmentQueue, type SegmentSettings } from '../jobs/queue.js';
import { workDirFor } from '../jobs/work-dir.js';
import type { Upscaler, UpscalerRuntime } from '../pipeline/ports.js';
import { checkOutput } from '../sink/check-output.js';
import { AUTO_MODEL, checkScale } from './choices.js';
import { resolveOptions, type Resolved } from './run-options.js';
import { defaultModel } from '../models/registry.js';
import { joinSegments } from './join-segments.js';
import { observeRun, type RunObserver } from './observe-run.js';
import { createSegmentBoard, type SegmentBoard } from './segment-board.js';
import { resolveModel } from './load-model.js';
import { checkInputExists, openInput, type OpenedInput } from './open-input.js';
import { planCodec, planMuxer, planRun } from './plan-run.js';
import { prepareSegments, openJournal } from './prepare-segments.js';
import { loadForSegments, runSegmentsHere, runSegmentsOnQueue, type SegmentStatus } from './run-segments.js';
import { describeRun, type NamedVideoOptions as UpscaleVideoOptions, type UpscaleVideoResult } from './upscale-video.js';

export { parseQueueUrl } from '../jobs/queue.js';
export type { SegmentStatus } from './run-segments.js';

export interface UpscaleSegmentedOptions extends UpscaleVideoOptions {
  /** Keep a journal and carry on from it (the default with `queue`). */
  readonly resume?: boolean;
  /** `redis://HOST:PORT` (or `rediss://`): segments go to `srvid worker` processes through BullMQ. */
  readonly queue?: string;
  readonly segmentSeconds?: number;
  /** Before the first segment: how much a journal says is already done. */
  readonly onSegments?: (s: SegmentStatus) => void;
  /** A line worth showing: a worker that joined, a segment retried. */
  readonly onNote?: (line: string) => void;
}

const refuse = (o: UpscaleSegmentedOptions): void => {
  const mode = o.queue ? '--queue' : '--resume';
  if (o.input === '-' || (isUrl(o.input) && !/^https?:\/\//i.test(o.input)))
    throw new UsageError(`${mode} needs an input file or an http(s):// URL, not ${o.input}`);
  if (o.output === '-' || isUrl(o.output)) throw new UsageError(`${mode} writes a file; ${o.output} is not one`);
  if (o.reference !== undefined || o.report || o.measure)
    throw new UsageError(`${mode} does not measure quality yet: leave out --reference and --report (--monitor shows the workers)`);
  if (o.live) throw new UsageError(`${mode} is for files, not live runs`);
};

/** The dashboard of a segmented run: its workers and segments (no frame messages, no quality). */
const startObserver = (o: Resolved<UpscaleSegmentedOptions>): Promise<RunObserver> | null =>
  o.monitor
    ? observeRun({
        monitor: o.monitor,
        overwrite: o.overwrite,
        previewEvery: o.previewEvery,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onMonitorListening ? { onListening: o.onMonitorListening } : {}),
        ...(o.onMonitorWaiting ? { onWaiting: o.onMonitorWaiting } : {}),
        ...(o.onWarning ? { onWarning: o.onWarning } : {}),
      })
    : null;

/** Publishes the board's message after a change, at most four times a second; `force`: at once (the start and the end). */
const boardPublisher = (board: SegmentBoard, observer: RunObserver): ((force?: boolean) => void) => {
  let last = -Infinity;
  return (force = false) => {
    if (!force && performance.now() - last < 250) return;
    last = performance.now();
    observer.onWorkers(board.message());
  };
};

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * Upscales a video as resumable segments, here or through a queue of workers.
 *
 * @example
 * await upscaleSegmented({ input: 'film.mkv', output: 'film-x2.mkv', scale: 2, resume: true });
 * await upscaleSegmented({ input: '/shared/film.mkv', output: '/shared/film-x2.mkv', scale: 2, queue: 'redis://10.0.0.5:6379' });
 */
export const upscaleSegmented = async (options: UpscaleSegmentedOptions): Promise<UpscaleVideoResult> => {
  const o = resolveOptions(options);
  refuse(o);
  checkScale(o.scale);
  const model = resolveModel(o);
  checkInputExists(o.input);
  const muxer = planMuxer(o.output, o.format);
  checkOutput(o.output, { overwrite: o.overwrite, inputs: [o.input] });
  const seconds = o.segmentSeconds;
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });
  await checkVideoEncoder(tools, planCodec(muxer, o.codec));
  const started = performance.now();
  // The queue is reached before anything is cut, so a wrong address costs nothing.
  const queue = o.queue ? await openSegmentQueue(o.queue) : null;
  let input: OpenedInput | null = null;
  let upscaler: Upscaler | null = null;
  let observer: RunObserver | null = null;
  try {
    observer = await startObserver(o);
    input = await openInput(o.input, tools, o.signal);
    const info = input.info;
    const plan = planRun({ ...o, measure: false, live: false, stdoutIsFile: false, detailEvery: 0 }, info, tools.major);
    for (const w of plan.warnings) o.onWarning?.(w);
    const modelSha256 = sha256(model.path);
    const settings: SegmentSettings = {
      scale: o.scale,
      model: o.model !== undefined && o.model !== AUTO_MODEL ? o.model : defaultModel(o.scale),
      ...(o.modelFile ? { modelFile: model.path } : {}),
      modelSha256,
      ...plan.encoder,
      pixFmt: plan.pixFmt,
      width: info.width,
      height: info.height,
      bitDepth: info.bitDepth,
      fullRange: isFullRange(info.pixFmt, info.color.range),
      color: info.color,
    };
    // Every option that changes the output; the model by its bytes, so retrained weights never mix with old ones.
    const options: OptionsKey = {
      scale: o.scale,
      model: model.name,
      modelSha256,
      codec: plan.encoder.codec,
      crf: plan.encoder.crf,
      preset: plan.encoder.preset,
      muxer,
      pixFmt: plan.pixFmt,
      segmentSeconds: seconds,
      tolerateErrors: o.strict === false,
    };
    const dir = workDirFor(o.output);
    const job = await prepareSegments(dir, await openJournal(dir, o.input, options, o.signal), info, tools, seconds, o.signal);
    const segments = job.journal.segments ?? [];
    const done = segments.filter((s) => s.done);
    const status: SegmentStatus = {
      segments: segments.length,
      done: done.length,
      framesDone: done.reduce((n, s) => n + s.frames, 0),
      totalFrames: job.totalFrames,
    };
    upscaler = o.queue ? null : await loadForSegments(job.journal, o);
    const runtime: UpscalerRuntime = upscaler?.runtime ?? {
      model: model.name,
      backend: o.queue ? 'queue' : 'none (every segment done)',
      workers: 0,
      threadsPerWorker: null,
    };
    const run = {
      // A segmented run measures nothing and is never live; its frames are counted by the cut.
      ...describeRun(o, info, plan, runtime, 0, false),
      totalFrames: job.totalFrames,
      segmented: {
        segments: status.segments,
        doneBefore: status.done,
        segmentSeconds: seconds,
        queue: o.queue ? describeQueue(o.queue) : null,
      },
    };
    await o.onStart?.({ ...info, frameCount: job.totalFrames }, run, runtime);
    o.onSegments?.(status);
    await observer?.onStart(info, run);
    const board = observer ? createSegmentBoard(status, performance.now()) : null;
    const publish = board && observer ? boardPublisher(board, observer) : null;
    publish?.(true);
    let journal = job.journal;
    const record = (index: number): void => {
      journal = markDone(journal, index);
      writeJournal(dir, journal);
    };
    const common = {
      dir,
      journal,
      status,
      settings,
      tools,
      record,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(board && publish ? { board, onBoard: publish } : {}),
    };
    const ran =
      queue && o.queue
        ? await runSegmentsOnQueue({
            ...common,
            queue,
            url: o.queue,
            key: job.key,
            ...(o.onProgress ? { onProgress: o.onProgress } : {}),
            ...(o.onNote ? { onNote: o.onNote } : {}),
          })
        : await runSegmentsHere({ ...common, upscaler, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    await joinSegments({
      dir,
      journal,
      info,
      muxer,
      output: o.output,
      tools,
      totalFrames: job.totalFrames,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    });
    publish?.(true);
    const elapsedSec = (performance.now() - started) / 1000;
    const upscaled = job.totalFrames - status.framesDone;
    const fps = elapsedSec > 0 ? upscaled / elapsedSec : 0;
    const observed = observer;
    observer = null;
    await observed?.finish({ elapsedSec, fps, frames: job.totalFrames });
    return {
      frames: job.totalFrames,
      elapsedSec,
      fps,
      stages: { decodeWaitMs: 0, convertMs: 0, inferenceMs: 0, chromaMs: 0, qualityMs: 0, encodeWaitMs: 0 },
      info,
      runtime: ran.runtime ?? runtime,
      run: { ...run, backend: (ran.runtime ?? runtime).backend },
      quality: null,
      dropped: 0,
      fallback: 0,
      framesBefore: status.framesDone,
    };
  } catch (err) {
    await observer?.finish({ elapsedSec: (performance.now() - started) / 1000, fps: 0, error: (err as Error).message }).catch(() => {});
    // Stopped (Ctrl-C, SIGTERM): what is done stays in the work folder, and the journal says so.
    if (err instanceof AbortedError && !o.queue)
      throw new AbortedError(`stopped; the finished segments are kept in ${workDirFor(o.output)}: rerun the same command to carry on`);
    throw err;
  } finally {
    await upscaler?.dispose();
    await queue?.close().catch(() => {});
    input?.close();
  }
};

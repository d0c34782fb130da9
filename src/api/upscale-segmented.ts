/**
 * upscaleSegmented: `srvid in out --resume` and `srvid in out --queue redis://…`. The input's video is cut at
 * keyframes into segments of about `segmentSeconds`, each segment is upscaled to a video-only file in the work
 * folder beside the output (here, or by `srvid worker` processes through a BullMQ queue), and the segments are
 * joined without re-encoding, with the input's other streams muxed in whole. A journal records every verified
 * segment, so the same command after a crash carries on where the last one stopped. The parts live in
 * src/segments/; this is their composition.
 */
import { AbortedError, UsageError } from '../errors.js';
import { isUrl } from '../ffmpeg/protocols.js';
import { checkVideoEncoder } from '../ffmpeg/encoders.js';
import { resolveFfmpeg, type FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { resolveModel, type ResolvedModel } from '../models/resolve-model.js';
import type { RunDescription } from '../monitor/messages.js';
import type { Upscaler, UpscalerRuntime } from '../pipeline/ports.js';
import { jobSpec, type JobSpec } from '../segments/job-spec.js';
import { joinSegments } from '../segments/join-segments.js';
import { journalRecorder } from '../segments/journal.js';
import { openJournal, prepareSegments, type PreparedJob, type SegmentStatus } from '../segments/prepare-segments.js';
import { describeQueue, openSegmentQueue, type SegmentQueue } from '../segments/queue.js';
import { runSegmentsOnQueue } from '../segments/run-on-queue.js';
import { pendingSegments, runSegmentsHere } from '../segments/run-segments.js';
import { boardPublisher, createSegmentBoard } from '../segments/segment-board.js';
import { workDirFor } from '../segments/work-dir.js';
import { checkOutput } from '../sink/check-output.js';
import { checkScale } from './choices.js';
import { describeRun } from './describe-run.js';
import { loadVideoUpscaler } from './load-model.js';
import { observeRun, type RunObserver } from '../monitor/observe-run.js';
import { resolveOptions, type Resolved } from './run-options.js';
import { checkInputExists, openInput, type OpenedInput } from './open-input.js';
import { planCodec, planMuxer, planRun, type RunPlan } from './plan-run.js';
import type { NamedVideoOptions as UpscaleVideoOptions, UpscaleVideoResult } from './upscale-video.js';

export { parseQueueUrl } from '../segments/queue.js';
export type { SegmentStatus } from '../segments/prepare-segments.js';

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

/** The options with every default filled in (run-options.ts): what the steps below read. */
type SegmentedSpec = Resolved<UpscaleSegmentedOptions>;

const refuse = (o: SegmentedSpec): void => {
  const mode = o.queue ? '--queue' : '--resume';
  if (o.input === '-' || (isUrl(o.input) && !/^https?:\/\//i.test(o.input)))
    throw new UsageError(`${mode} needs an input file or an http(s):// URL, not ${o.input}`);
  if (o.output === '-' || isUrl(o.output)) throw new UsageError(`${mode} writes a file; ${o.output} is not one`);
  if (o.reference !== undefined || o.report || o.measure)
    throw new UsageError(`${mode} does not measure quality yet: leave out --reference and --report (--monitor shows the workers)`);
  if (o.live) throw new UsageError(`${mode} is for files, not live runs`);
};

/** Every check that needs no process, as a plain run makes them, and what a segmented run refuses. */
const checkRequest = (o: SegmentedSpec): { model: ResolvedModel; muxer: string } => {
  refuse(o);
  checkScale(o.scale);
  const model = resolveModel(o);
  checkInputExists(o.input);
  const muxer = planMuxer(o.output, o.format);
  checkOutput(o.output, { overwrite: o.overwrite, inputs: [o.input] });
  return { model, muxer };
};

/** The dashboard of a segmented run: its workers and segments (no frame messages, no quality). */
const startObserver = (o: SegmentedSpec): Promise<RunObserver> | null =>
  o.monitor
    ? observeRun({
        monitor: o.monitor,
        previewEvery: o.previewEvery,
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onMonitorListening ? { onListening: o.onMonitorListening } : {}),
        ...(o.onMonitorWaiting ? { onWaiting: o.onMonitorWaiting } : {}),
        ...(o.onWarning ? { onWarning: o.onWarning } : {}),
      })
    : null;

interface OpenedJob {
  readonly plan: RunPlan;
  readonly spec: JobSpec;
  readonly dir: string;
  readonly job: PreparedJob;
}

/** Plans as a plain run would, then opens the journal (or refuses one made for another job) and cuts once. */
const openJob = async (
  o: SegmentedSpec,
  checked: { model: ResolvedModel; muxer: string },
  input: OpenedInput,
  tools: FfmpegTools,
): Promise<OpenedJob> => {
  const info = input.info;
  const plan = planRun({ ...o, measure: false, live: false, stdoutIsFile: false, detailEvery: 0 }, info, tools.major);
  for (const w of plan.warnings) o.onWarning?.(w);
  const layout = { encoder: plan.encoder, pixFmt: plan.pixFmt, muxer: checked.muxer };
  const spec = jobSpec(o, checked.model, layout, info);
  const dir = workDirFor(o.output);
  const job = await prepareSegments(dir, await openJournal(dir, o.input, spec.options, o.signal), info, tools, o.segmentSeconds, o.signal);
  return { plan, spec, dir, job };
};

/** The run as its hello and result describe it: a segmented run measures nothing, is never live, and its frames are counted by the cut. */
const describeJob = (o: SegmentedSpec, input: OpenedInput, j: OpenedJob, runtime: UpscalerRuntime) => ({
  ...describeRun(o, input.info, j.plan, runtime, 0, false),
  totalFrames: j.job.totalFrames,
  segmented: {
    segments: j.job.status.segments,
    doneBefore: j.job.status.done,
    segmentSeconds: o.segmentSeconds,
    queue: o.queue ? describeQueue(o.queue) : null,
  },
});

/** Upscales the segments not yet done, here or through the queue, recording each; then joins them all. */
const runAndJoin = async (
  o: SegmentedSpec,
  j: OpenedJob,
  at: { input: OpenedInput; tools: FfmpegTools; queue: SegmentQueue | null; upscaler: Upscaler | null; muxer: string },
  observer: RunObserver | null,
): Promise<UpscalerRuntime | null> => {
  const board = observer ? createSegmentBoard(j.job.status, performance.now()) : null;
  const publish = board && observer ? boardPublisher(board, (m) => observer.onWorkers(m)) : null;
  publish?.(true);
  const journal = journalRecorder(j.dir, j.job.journal);
  const common = {
    dir: j.dir,
    journal: j.job.journal,
    status: j.job.status,
    settings: j.spec.settings,
    tools: at.tools,
    record: journal.record,
    maxFramesInFlight: o.maxFramesInFlight,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(board && publish ? { board, onBoard: publish } : {}),
  };
  const ran =
    at.queue && o.queue
      ? await runSegmentsOnQueue({ ...common, queue: at.queue, url: o.queue, key: j.job.key, ...(o.onNote ? { onNote: o.onNote } : {}) })
      : await runSegmentsHere({ ...common, upscaler: at.upscaler });
  await joinSegments({
    dir: j.dir,
    journal: journal.current(),
    info: at.input.info,
    muxer: at.muxer,
    output: o.output,
    tools: at.tools,
    totalFrames: j.job.totalFrames,
    signal: o.signal,
    onWarning: o.onWarning,
    beforeRename: () => o.hooks?.at?.('join', o.signal) ?? Promise.resolve(),
  });
  publish?.(true);
  return ran.runtime;
};

/** The result: `frames` counts the whole video, `fps` only what this run upscaled. */
const resultOf = (j: OpenedJob, input: OpenedInput, run: RunDescription, runtime: UpscalerRuntime, started: number) => {
  const elapsedSec = (performance.now() - started) / 1000;
  const upscaled = j.job.totalFrames - j.job.status.framesDone;
  return {
    frames: j.job.totalFrames,
    elapsedSec,
    fps: elapsedSec > 0 ? upscaled / elapsedSec : 0,
    stages: { decodeWaitMs: 0, convertMs: 0, inferenceMs: 0, chromaMs: 0, qualityMs: 0, encodeWaitMs: 0 },
    info: input.info,
    runtime,
    run: { ...run, backend: runtime.backend },
    quality: null,
    dropped: 0,
    fallback: 0,
    framesBefore: j.job.status.framesDone,
  };
};

/**
 * Upscales a video as resumable segments, here or through a queue of workers.
 *
 * @example
 * await upscaleSegmented({ input: 'film.mkv', output: 'film-x2.mkv', scale: 2, resume: true });
 * await upscaleSegmented({ input: '/shared/film.mkv', output: '/shared/film-x2.mkv', scale: 2, queue: 'redis://10.0.0.5:6379' });
 */
export const upscaleSegmented = async (options: UpscaleSegmentedOptions): Promise<UpscaleVideoResult> => {
  const o = resolveOptions(options);
  const checked = checkRequest(o);
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });
  await checkVideoEncoder(tools, planCodec(checked.muxer, o.codec));
  const started = performance.now();
  // The queue is reached before anything is cut, so a wrong address costs nothing.
  const queue = o.queue ? await openSegmentQueue(o.queue) : null;
  let input: OpenedInput | null = null;
  let upscaler: Upscaler | null = null;
  let observer: RunObserver | null = null;
  try {
    observer = await startObserver(o);
    input = await openInput(o.input, tools, o.signal);
    const j = await openJob(o, checked, input, tools);
    upscaler = o.queue || pendingSegments(j.job.journal).length === 0 ? null : await loadVideoUpscaler(o, checked.model);
    const runtime: UpscalerRuntime = upscaler?.runtime ?? {
      model: checked.model.name,
      backend: o.queue ? 'queue' : 'none (every segment done)',
      workers: 0,
      threadsPerWorker: null,
    };
    const run = describeJob(o, input, j, runtime);
    await o.onStart?.({ ...input.info, frameCount: j.job.totalFrames }, run, runtime);
    o.onSegments?.(j.job.status);
    await observer?.onStart(input.info, run);
    const ran = await runAndJoin(o, j, { input, tools, queue, upscaler, muxer: checked.muxer }, observer);
    const result = resultOf(j, input, run, ran ?? runtime, started);
    const observed = observer;
    observer = null;
    await observed?.finish({ elapsedSec: result.elapsedSec, fps: result.fps, frames: result.frames });
    return result;
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

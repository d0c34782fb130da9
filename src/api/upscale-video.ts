/**
 * upscaleVideo: the library's main entry, and what `srvid in.mp4 out.mp4` runs. A short composition of named
 * steps: check the request, observe (monitor, report), open the source (file or live, live-plan.ts), plan, plan
 * the live part, open the reference, load the model, then source → pipeline → sink.
 */
import { checkVideoEncoder } from '../ffmpeg/encoders.js';
import { checkProtocols } from '../ffmpeg/protocols.js';
import { resolveFfmpeg, type FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { createSummary, type RunDescription, type SummaryMessage } from '../monitor/messages.js';
import type { Frame } from '../pipeline/frame.js';
import type { FrameReport, FrameSource, Progress, StageTimes, Upscaler, UpscalerRuntime, VideoInfo } from '../pipeline/ports.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { createQualityProbe } from '../quality/create-quality-probe.js';
import type { ReferenceAligner } from '../quality/align-reference.js';
import { checkOutput } from '../sink/check-output.js';
import { createEncoderSink } from '../sink/create-encoder-sink.js';
import { checkScale } from './choices.js';
import { dropWarming, openSource, planLive, startWarming, type LivePlan, type OpenedRun, type Warming } from './live-plan.js';
import { describeRun } from './describe-run.js';
import { loadVideoUpscaler } from './load-model.js';
import { resolveModel, type ResolvedModel } from '../models/resolve-model.js';
import type { VideoModelOptions } from '../models/load-upscaler.js';
import { observeRun, type MonitorOptions, type RunObserver } from '../monitor/observe-run.js';
import { checkInputExists, openReference } from './open-input.js';
import { planCodec, planMuxer, planRun, type RunPlan } from './plan-run.js';
import { deliver, runEnds, type RunEnds } from './run-ends.js';
import { resolveOptions, type Resolved, type RunHooks } from './run-options.js';
import type { WhenBehind } from '../pipeline/operators/upscale-live.js';

export { formatQualityLine } from '../monitor/format-quality.js';

/** A video run's options, its ends named (a path, a URL, or '-'): what segmented jobs take too. */
export interface NamedVideoOptions extends VideoModelOptions {
  /** A file path, a URL ffmpeg can open, or '-' for stdin. */
  readonly input: string;
  /**
   * Live mode (default: on for network URLs, and for stdin that arrives in real time): the input is read
   * once, as it arrives, by one decoder that is never paused; frames the network cannot upscale within
   * `maxLatencyMs` are upscaled by bicubic or dropped (`whenBehind`), and counted. stdin that runs ahead of
   * its own timestamps (a file on a pipe) is read by the same one decoder, which then waits for the pipeline:
   * every frame kept. Off: stdin is spooled to a file first and URLs are read like files (every stream kept,
   * nothing dropped).
   */
  readonly live?: boolean;
  /** Live mode: how far output may lag (default 2000 ms). */
  readonly maxLatencyMs?: number;
  readonly whenBehind?: WhenBehind;
  /** Live mode: how long to wait for the input's first frame, and for more data once it flows (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Live mode: wait for a publisher (`rtmp://host:port/app` as a server). */
  readonly listen?: boolean;
  /** Live mode: after the input drops, reconnect up to this many times in a row, with backoff (default 0). */
  readonly reconnectAttempts?: number;
  /** A file path, or '-' for stdout (Matroska unless `format` says otherwise). */
  readonly output: string;
  readonly overwrite?: boolean;
  /** Video encoder (default libx264, libvpx-vp9 for WebM), CRF (default 18) and x264/x265 preset (default medium). */
  readonly codec?: string;
  readonly crf?: number;
  readonly preset?: string;
  /** ffmpeg muxer name, when the output's extension does not say it (or for '-'). */
  readonly format?: string;
  /** Frames in the upscaler at once (default 0: two per worker) and frames in flight in all (default 8). */
  readonly concurrent?: number;
  readonly maxFramesInFlight?: number;
  /** Stop at the first decoding error (default true): never report success on half a video. */
  readonly strict?: boolean;
  readonly ffmpeg?: string;
  readonly ffprobe?: string;
  /**
   * Per-frame quality: 'self' (the input is the ground truth: it is downscaled, upscaled and compared; the
   * output is then the reconstruction), a high-resolution video at the output's size, or, with `measure`,
   * `monitor` or `report` alone, consistency (the output downscaled back, compared with the input) with a
   * detail estimate on every `detailEvery`th frame.
   */
  readonly reference?: string;
  readonly measure?: boolean;
  /** Consistency mode: every Nth frame is also downscaled, upscaled by the network and by bicubic, and compared with itself (default 10; 0: never). */
  readonly detailEvery?: number;
  /** Serve the live dashboard and the per-frame messages over a WebSocket (host 127.0.0.1 and any free port unless given). */
  readonly monitor?: MonitorOptions;
  /** Write the per-frame quality and the summary as JSON here when the run succeeds. */
  readonly report?: string;
  /** Dashboard before/after previews every N frames (default 30). */
  readonly previewEvery?: number;
  readonly signal?: AbortSignal;
  /** After probing and loading, before the first frame; may return a promise the run waits for. */
  readonly onStart?: (info: VideoInfo, run: RunDescription, runtime: UpscalerRuntime) => void | Promise<void>;
  readonly onProgress?: (p: Progress) => void;
  readonly onFrame?: (r: FrameReport) => void;
  readonly onWarning?: (message: string) => void;
  /** The monitor's address once it listens, and a note when it waits for a client (`monitor.wait`). */
  readonly onMonitorListening?: (url: string) => void;
  readonly onMonitorWaiting?: () => void;
  /** Collaborators injected into the run (the fault tests hold it at a stage or slow the network): RunHooks. */
  readonly hooks?: RunHooks;
}

/** A video run's options: each end a path, a URL, '-' (the process's stdin or stdout), or a stream. */
export interface UpscaleVideoOptions extends Omit<NamedVideoOptions, 'input' | 'output'> {
  /** A file path, a URL ffmpeg can open, '-' for stdin, or a stream, read as stdin is (live or a file on a pipe, by its pacing). */
  readonly input: string | NodeJS.ReadableStream;
  /** A file path or URL, '-' for stdout, or a stream (Matroska unless `format` says otherwise; MPEG-TS for a live run into a pipe). */
  readonly output: string | NodeJS.WritableStream;
}

export interface UpscaleVideoResult {
  readonly frames: number;
  readonly elapsedSec: number;
  readonly fps: number;
  /** Mean milliseconds per frame in each stage. */
  readonly stages: StageTimes;
  readonly info: VideoInfo;
  readonly runtime: UpscalerRuntime;
  /** What was run: sizes, model, quality mode and what the figures are measured against. */
  readonly run: RunDescription;
  /** The quality summary (as published to the monitor and written to the report); null without metrics. */
  readonly quality: SummaryMessage | null;
  /** Live mode: frames dropped, and frames upscaled by bicubic because the network was behind. */
  readonly dropped: number;
  readonly fallback: number;
  /** A resumed segmented run: the frames an earlier run had upscaled (`frames` counts them, `fps` does not). */
  readonly framesBefore?: number;
}

/** The options with every default filled in (run-options.ts), the ends by name: what the steps below read. */
type VideoSpec = Resolved<NamedVideoOptions>;

/** Every check that needs no process: scale, model file, input, output, the report's path and the container. */
const checkRequest = (o: VideoSpec, startsLive: boolean): ResolvedModel => {
  checkScale(o.scale);
  const model = resolveModel({ ...o, live: startsLive });
  checkInputExists(o.input);
  if (o.reference !== undefined && o.reference !== 'self') checkInputExists(o.reference, 'reference ');
  planMuxer(o.output, o.format);
  checkOutput(o.output, { overwrite: o.overwrite, inputs: [o.input, ...(o.reference ? [o.reference] : [])] });
  if (o.report) checkOutput(o.report, { overwrite: o.overwrite, inputs: [o.input, o.output], label: 'the report' });
  return model;
};

/** ffmpeg, with the protocols of the input and output URLs and the video encoder. */
const prepareTools = async (o: VideoSpec): Promise<FfmpegTools> => {
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });
  // Side by side: each asks ffmpeg once (a fifth of a second here), and a live input waits for both.
  await Promise.all([
    checkProtocols(tools, { input: o.input, output: o.output }),
    checkVideoEncoder(tools, planCodec(planMuxer(o.output, o.format), o.codec)),
  ]);
  return tools;
};

const startObserver = (o: VideoSpec): Promise<RunObserver> | null =>
  o.monitor || o.report
    ? observeRun({
        monitor: o.monitor,
        report: o.report,
        previewEvery: o.previewEvery,
        signal: o.signal,
        onListening: o.onMonitorListening,
        onWaiting: o.onMonitorWaiting,
        onWarning: o.onWarning,
      })
    : null;

/**
 * The network on one small frame, for the detail estimate: the same upscaler, so the same model and runtime
 * (a recurrent one runs it outside its stream, from no past).
 */
const shadowOf = (upscaler: Upscaler, every: number) =>
  every > 0
    ? {
        shadow: {
          every,
          upscale: async (lr: Frame) => (await (upscaler.upscaleAlone ? upscaler.upscaleAlone(lr) : upscaler.upscale(lr))).frame,
        },
      }
    : {};

/** What a run holds open, released once it ends however it ends. */
interface Held {
  opened: OpenedRun | null;
  aligner: ReferenceAligner | null;
  upscaler: Upscaler | null;
  finished: boolean;
}

/** A run, opened and planned: the source, the plan, its live part, and the model loaded. */
interface Prepared {
  readonly opened: OpenedRun;
  readonly plan: RunPlan;
  readonly live: LivePlan;
  readonly upscaler: Upscaler;
  readonly run: RunDescription;
  /** The source's frames, bounded from the plan on: a file on a pipe is held at it before the first frame is asked for. */
  readonly frames: FrameSource;
}

const prepare = async (
  o: VideoSpec,
  ends: RunEnds,
  tools: FfmpegTools,
  model: ResolvedModel,
  warming: Warming | null,
  held: Held,
  observed: boolean,
): Promise<Prepared> => {
  const opened = (held.opened = await openSource(o, ends, tools, warming));
  held.upscaler = opened.warm?.upscaler ?? null;
  const { info } = opened.source;
  const measure = o.measure || observed;
  const plan = planRun({ ...o, measure, live: opened.source.kind === 'live', stdoutIsFile: ends.output.isFile }, info, tools.major);
  for (const w of plan.warnings) o.onWarning?.(w);
  const frames = opened.source.frames({ pixFmt: plan.pixFmt, highWater: plan.framesInFlight });
  held.upscaler = null; // planLive owns the warm model from here
  const live = await planLive(o, opened, plan, model);
  held.upscaler = live.upscaler;
  if (plan.mode === 'reference') held.aligner = await openReference(o.reference as string, tools, plan.outputSize, plan.pixFmt);
  const upscaler = (held.upscaler ??= await loadVideoUpscaler(o, live.model));
  const run = describeRun(o, info, plan, upscaler.runtime, 0, opened.source.kind === 'live');
  return { opened, plan, live, upscaler, run, frames };
};

const execute = async (o: VideoSpec, ends: RunEnds, tools: FfmpegTools, p: Prepared, observer: RunObserver | null, held: Held) => {
  const { source } = p.opened;
  const { info } = source;
  const aligner = held.aligner;
  const probe = p.plan.mode
    ? createQualityProbe({
        mode: p.plan.mode,
        scale: o.scale,
        ...(aligner ? { reference: (f) => aligner.frameFor(f), close: () => aligner.close() } : {}),
        ...shadowOf(p.upscaler, p.plan.detailEvery),
      })
    : undefined;
  const run = { ...p.run, crop: probe?.crop ?? 0 };
  await o.onStart?.(info, run, p.upscaler.runtime);
  await observer?.onStart(info, run);
  const sink = createEncoderSink({
    ffmpeg: tools.ffmpeg,
    ffmpegMajor: tools.major,
    info: source.side.kind === 'reopen' ? { ...info, source: source.side.path } : info,
    format: { ...p.plan.outputSize, pixFmt: p.plan.pixFmt },
    output: o.output,
    muxer: p.plan.muxer,
    overwrite: o.overwrite,
    settings: p.plan.encoder,
    keepStreams: source.side.kind === 'reopen',
    sideTracks: source.side.kind === 'packets' ? source.side.tracks : [],
    live: p.live.encoder,
    onWarning: o.onWarning,
    onFlush: () => o.hooks?.at?.('flush', o.signal) ?? Promise.resolve(),
    pipeOutput: ends.output.stream !== null,
  });
  if (source.side.kind === 'packets') source.side.connect((packet) => sink.writePacket(packet));
  const delivery = sink.encoded && ends.output.stream ? deliver(sink.encoded, ends.output.stream) : null;
  // Without an observer the summary is still kept, so a library caller gets it in the result.
  const summary = p.plan.mode && !observer ? createSummary() : null;
  const onFrame = (r: FrameReport): void => {
    observer?.onFrame(r);
    summary?.add(r);
    o.onFrame?.(r);
  };
  const result = await runPipeline({
    source: p.frames,
    upscaler: p.upscaler,
    sink,
    // Two frames per worker keep each one fed while the other's result travels back.
    concurrent: Math.min(o.concurrent || 2 * p.upscaler.parallelism, p.plan.framesInFlight),
    totalFrames: info.frameCount,
    ...(probe ? { probe } : {}),
    ...(p.live.pipeline ? { live: p.live.pipeline } : {}),
    signal: o.signal,
    onProgress: o.onProgress,
    onFrame,
  }).catch(async (err: Error) => {
    await delivery?.settle(err);
    throw err;
  });
  await delivery?.settle(null);
  const outcome = { elapsedSec: result.elapsedSec, fps: result.fps };
  held.finished = true;
  const quality = (await observer?.finish(outcome)) ?? summary?.message(outcome) ?? null;
  await o.hooks?.at?.('done', o.signal);
  return { ...result, info, runtime: p.upscaler.runtime, run, quality };
};

/**
 * Upscales a video with the network (SESR by default) on luma, keeping audio, subtitles, chapters, metadata, timestamps and colour tags.
 *
 * @example
 * const ac = new AbortController();
 * const { fps, quality } = await upscaleVideo({ input: 'in.mp4', output: 'out.mp4', scale: 2, signal: ac.signal,
 *   monitor: { port: 8080 }, report: 'quality.json', onProgress: (p) => console.error(`${p.frames}/${p.totalFrames}`) });
 * // Streams in and out: the output is Matroska (or `format`), written as it is encoded.
 * await upscaleVideo({ input: createReadStream('in.mkv'), output: createWriteStream('out.mkv'), scale: 2 });
 */
export const upscaleVideo = async (options: UpscaleVideoOptions): Promise<UpscaleVideoResult> => {
  const ends = runEnds(options);
  const o = resolveOptions({ ...options, input: ends.input.name, output: ends.output.name });
  const model = checkRequest(o, ends.startsLive);
  // A live input's model loads while ffmpeg is asked what it has: its frames are not to wait for it.
  const warming = ends.startsLive ? startWarming(o, model, o.reference !== 'self') : null;
  let tools: FfmpegTools;
  let observer: RunObserver | null;
  try {
    tools = await prepareTools(o);
    observer = await startObserver(o);
  } catch (err) {
    await dropWarming(warming);
    throw err;
  }
  const started = performance.now();
  const held: Held = { opened: null, aligner: null, upscaler: null, finished: false };
  try {
    const prepared = await prepare(o, ends, tools, model, warming, held, observer !== null);
    return await execute(o, ends, tools, prepared, observer, held);
  } catch (err) {
    if (!held.finished)
      await observer?.finish({ elapsedSec: (performance.now() - started) / 1000, fps: 0, error: (err as Error).message }).catch(() => {});
    throw err;
  } finally {
    warming?.headStart?.stop(); // a run that failed after planning may still have one taking frames
    await held.aligner?.close();
    await held.upscaler?.dispose();
    held.opened?.source.close();
  }
};

/**
 * upscaleVideo: the library's main entry, and what `srvid in.mp4 out.mp4` runs. A short composition of named
 * steps: check the request, observe (monitor, report), open the input, plan, open the reference, load the
 * model, then source → pipeline → sink.
 */
import { fstatSync } from 'node:fs';
import { checkVideoEncoder } from '../ffmpeg/encoders.js';
import { checkProtocols } from '../ffmpeg/protocols.js';
import { resolveFfmpeg } from '../ffmpeg/resolve-ffmpeg.js';
import { createBicubicUpscaler } from '../models/bicubic-upscaler.js';
import type { LivePolicy, WhenBehind } from '../pipeline/operators/upscale-live.js';
import { createFrameSource } from '../ingest/create-frame-source.js';
import { isFullRange } from '../ingest/decoder-args.js';
import type { MonitorOptions } from './observe-run.js';
import { createSummary, type RunDescription, type SummaryMessage } from '../monitor/messages.js';
import type { FrameReport, Progress, StageTimes, Upscaler, UpscalerRuntime, VideoInfo } from '../pipeline/ports.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { createQualityProbe } from '../quality/create-quality-probe.js';
import type { ReferenceAligner } from '../quality/align-reference.js';
import { checkOutput } from '../sink/check-output.js';
import { createEncoderSink } from '../sink/create-encoder-sink.js';
import { checkScale } from './choices.js';
import { resolveOptions, type Resolved, type RunHooks } from './run-options.js';
import { chooseLiveModel, measureSpeed, type ModelSpeed } from './choose-live-model.js';
import { describeRun } from './describe-run.js';
import { loadVideoUpscaler, resolveModel, type VideoModelChoice } from './load-model.js';
import { observeRun, type RunObserver } from './observe-run.js';

export { formatQualityLine } from '../monitor/format-quality.js';
import { checkInputExists, isLiveInput, openInput, openLiveInput, openReference, type OpenedInput } from './open-input.js';
import { planCodec, planMuxer, planRun, type RunPlan } from './plan-run.js';

export interface UpscaleVideoOptions extends VideoModelChoice {
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

/** The options with every default filled in (run-options.ts): what the steps below read. */
type VideoSpec = Resolved<UpscaleVideoOptions>;

/** Every check that needs no process: scale, model file, input, output and container. */
const checkRequest = (o: VideoSpec) => {
  checkScale(o.scale);
  const model = resolveModel({ ...o, live: o.live ?? isLiveInput(o.input) });
  checkInputExists(o.input);
  if (o.reference !== undefined && o.reference !== 'self') checkInputExists(o.reference, 'reference ');
  planMuxer(o.output, o.format);
  checkOutput(o.output, { overwrite: o.overwrite, inputs: [o.input, ...(o.reference ? [o.reference] : [])] });
  return model;
};

const startObserver = (o: VideoSpec): Promise<RunObserver> | null =>
  o.monitor || o.report
    ? observeRun({
        monitor: o.monitor,
        report: o.report,
        overwrite: o.overwrite,
        inputs: [o.input, o.output],
        previewEvery: o.previewEvery,
        signal: o.signal,
        onListening: o.onMonitorListening,
        onWaiting: o.onMonitorWaiting,
        onWarning: o.onWarning,
      })
    : null;

const livePolicy = (o: VideoSpec, plan: RunPlan, expectedFps: number | null): LivePolicy => ({
  whenBehind: o.whenBehind,
  maxLatencyMs: o.maxLatencyMs,
  // Frames decoded and not yet written: beyond a few times what is in flight, even bicubic is behind.
  maxBacklog: 4 * plan.framesInFlight,
  ...(expectedFps ? { expectedFps } : {}),
});

/** Whether stdout is a regular file (`srvid - - > out.mkv`) rather than a pipe or a terminal. */
const stdoutIsFile = (): boolean => {
  try {
    return fstatSync(1).isFile();
  } catch {
    return false;
  }
};

/** The network on one small frame, for the detail estimate: the same upscaler, so the same model and runtime. */
const shadowOf = (upscaler: Upscaler, every: number) =>
  every > 0 ? { shadow: { every, upscale: async (lr: Parameters<Upscaler['upscale']>[0]) => (await upscaler.upscale(lr)).frame } } : {};

/**
 * Upscales a video with the network (SESR by default) on luma, keeping audio, subtitles, chapters, metadata, timestamps and colour tags.
 *
 * @example
 * const ac = new AbortController();
 * const { fps, quality } = await upscaleVideo({ input: 'in.mp4', output: 'out.mp4', scale: 2, signal: ac.signal,
 *   monitor: { port: 8080 }, report: 'quality.json', onProgress: (p) => console.error(`${p.frames}/${p.totalFrames}`) });
 */
export const upscaleVideo = async (options: UpscaleVideoOptions): Promise<UpscaleVideoResult> => {
  const o = resolveOptions(options);
  let model = checkRequest(o);
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });
  // Side by side: each asks ffmpeg once (a fifth of a second here), and a live input waits for both.
  await Promise.all([
    checkProtocols(tools, { input: o.input, output: o.output }),
    checkVideoEncoder(tools, planCodec(planMuxer(o.output, o.format), o.codec)),
  ]);
  const observer = await startObserver(o);
  const started = performance.now();
  let input: OpenedInput | null = null;
  let aligner: ReferenceAligner | null = null;
  let upscaler: Upscaler | null = null;
  let finished = false;
  let live = o.live ?? isLiveInput(o.input);
  try {
    // A live reader must never wait, so the model is loaded before the decoder starts, and its speed is
    // measured while the input opens (ffmpeg probes a live input for about a second before its first frame).
    // stdin's decoder starts at once, as the model loads: whether it is live is judged from how its first
    // frames arrive. Frames that arrive meanwhile wait in the source, not in the network.
    const detectPacing = o.live === undefined && o.input === '-';
    const loading = live
      ? loadVideoUpscaler(o, model).then((u) => {
          const measuring = measureSpeed(u);
          measuring.catch(() => {}); // awaited below, once the input is open
          return { u, measuring };
        })
      : null;
    loading?.catch(() => {}); // a failure is taken below, once the input is open (or has failed first)
    let measuring: Promise<ModelSpeed> | null = null;
    let expectedFps: number | null = null;
    if (loading && !detectPacing) ({ u: upscaler, measuring } = await loading);
    try {
      input = live
        ? await openLiveInput(o.input, tools, {
            connectTimeoutMs: o.connectTimeoutMs,
            listen: o.listen,
            reconnectAttempts: o.reconnectAttempts,
            signal: o.signal,
            onEnded: o.onWarning,
            onWarning: o.onWarning,
            detectPacing,
          })
        : await openInput(o.input, tools, o.signal);
    } catch (err) {
      upscaler ??= (await loading?.catch(() => null))?.u ?? null; // disposed below: the input's error is the run's
      throw err;
    }
    if (loading && !upscaler) ({ u: upscaler, measuring } = await loading);
    let speed = measuring ? await measuring : null;
    // stdin that runs ahead of its own timestamps is a file on a pipe: no latency policy, every frame kept.
    if (input.live && (await input.live.pacing()) === 'ahead') live = false;
    const info = input.info;
    const measure = o.measure || observer !== null;
    const plan = planRun({ ...o, measure, live, stdoutIsFile: stdoutIsFile() }, info, tools.major);
    for (const w of plan.warnings) o.onWarning?.(w);
    // The model for what the input turned out to be: a file on a pipe, or an input deeper than the 8-bit steps
    // of the int8 model a live run starts with, gets the file default (a live run loads it now, rarely).
    const forInput = resolveModel({ ...o, live, bitDepth: info.bitDepth });
    if (forInput.path !== model.path) {
      model = forInput;
      await upscaler?.dispose();
      upscaler = live ? await loadVideoUpscaler(o, model) : null;
      speed = null; // not measured again with the input open: no keep-up warning for this run
    }
    if (input.live && !live) input.live.hold(plan.framesInFlight);
    if (input.live && live && upscaler) {
      const choice = await chooseLiveModel(o, upscaler, speed, input.live.format, info.frameRate);
      upscaler = choice.upscaler;
      expectedFps = choice.fps;
      if (choice.warning) o.onWarning?.(choice.warning);
    }
    if (plan.mode === 'reference') aligner = await openReference(o.reference as string, tools, plan.outputSize, plan.pixFmt);
    upscaler ??= await loadVideoUpscaler(o, model);
    const ref = aligner;
    const probe = plan.mode
      ? createQualityProbe({
          mode: plan.mode,
          scale: o.scale,
          ...(ref ? { reference: (f) => ref.frameFor(f), close: () => ref.close() } : {}),
          ...shadowOf(upscaler, plan.detailEvery),
        })
      : undefined;
    const run = describeRun(o, info, plan, upscaler.runtime, probe?.crop ?? 0, live);
    await o.onStart?.(info, run, upscaler.runtime);
    await observer?.onStart(info, run);
    const source =
      input.live ??
      createFrameSource({
        ffmpeg: tools.ffmpeg,
        ffprobe: tools.ffprobe,
        ffmpegMajor: tools.major,
        input: input.path,
        videoStreamIndex: info.videoStreamIndex,
        strict: o.strict,
        fullRange: isFullRange(info.pixFmt, info.color.range),
        format: { width: info.width, height: info.height, pixFmt: plan.pixFmt },
        highWater: plan.framesInFlight,
      });
    const sink = createEncoderSink({
      ffmpeg: tools.ffmpeg,
      ffmpegMajor: tools.major,
      info: { ...info, source: input.path },
      format: { ...plan.outputSize, pixFmt: plan.pixFmt },
      output: o.output,
      muxer: plan.muxer,
      overwrite: o.overwrite,
      settings: plan.encoder,
      keepStreams: !input.live,
      sideTracks: input.live?.tracks.side.filter((t) => t.type === 'audio' || t.type === 'subtitle') ?? [],
      live: live ? { frameRate: info.frameRate, presetGiven: o.preset !== undefined } : null,
      onWarning: o.onWarning,
      onFlush: () => o.hooks?.at?.('flush', o.signal) ?? Promise.resolve(),
    });
    input.live?.onPacket((p) => sink.writePacket(p));
    // Without an observer the summary is still kept, so a library caller gets it in the result.
    const summary = plan.mode && !observer ? createSummary() : null;
    const onFrame = (r: FrameReport): void => {
      observer?.onFrame(r);
      summary?.add(r);
      o.onFrame?.(r);
    };
    const result = await runPipeline({
      source,
      upscaler,
      sink,
      // Two frames per worker keep each one fed while the other's result travels back.
      concurrent: Math.min(o.concurrent || 2 * upscaler.parallelism, plan.framesInFlight),
      totalFrames: info.frameCount,
      ...(probe ? { probe } : {}),
      ...(live ? { live: { fallback: createBicubicUpscaler(o.scale), policy: livePolicy(o, plan, expectedFps) } } : {}),
      signal: o.signal,
      onProgress: o.onProgress,
      onFrame,
    });
    const outcome = { elapsedSec: result.elapsedSec, fps: result.fps };
    finished = true;
    const quality = (await observer?.finish(outcome)) ?? summary?.message(outcome) ?? null;
    await o.hooks?.at?.('done', o.signal);
    return { ...result, info, runtime: upscaler.runtime, run, quality };
  } catch (err) {
    if (!finished)
      await observer?.finish({ elapsedSec: (performance.now() - started) / 1000, fps: 0, error: (err as Error).message }).catch(() => {});
    throw err;
  } finally {
    await aligner?.close();
    await upscaler?.dispose();
    input?.close();
  }
};

/**
 * upscaleVideo: the library's main entry, and what `srvid in.mp4 out.mp4` runs. A short composition of named
 * steps: check the request, observe (monitor, report), open the input, plan, open the reference, load the
 * model, then source → pipeline → sink.
 */
import { resolveFfmpeg } from '../ffmpeg/resolve-ffmpeg.js';
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
import { checkScale, DEFAULT_DETAIL_EVERY } from './choices.js';
import { loadVideoUpscaler, resolveModel, type VideoModelChoice } from './load-model.js';
import { observeRun, type RunObserver } from './observe-run.js';

export { formatQualityLine } from '../monitor/format-quality.js';
import { checkInputExists, openInput, openReference, type OpenedInput } from './open-input.js';
import { planMuxer, planRun, type RunPlan } from './plan-run.js';

export interface UpscaleVideoOptions extends VideoModelChoice {
  /** A file path, a URL ffmpeg can open, or '-' for stdin (spooled to a temporary file first). */
  readonly input: string;
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
}

/** Every check that needs no process: scale, model file, input, output and container. */
const checkRequest = (o: UpscaleVideoOptions) => {
  checkScale(o.scale);
  const model = resolveModel(o);
  checkInputExists(o.input);
  if (o.reference !== undefined && o.reference !== 'self') checkInputExists(o.reference, 'reference ');
  planMuxer(o.output, o.format);
  checkOutput(o.output, { overwrite: o.overwrite ?? false, inputs: [o.input, ...(o.reference ? [o.reference] : [])] });
  return model;
};

const startObserver = (o: UpscaleVideoOptions): Promise<RunObserver> | null =>
  o.monitor || o.report
    ? observeRun({
        ...(o.monitor ? { monitor: o.monitor } : {}),
        ...(o.report ? { report: o.report } : {}),
        overwrite: o.overwrite ?? false,
        inputs: [o.input, o.output],
        ...(o.previewEvery ? { previewEvery: o.previewEvery } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onMonitorListening ? { onListening: o.onMonitorListening } : {}),
        ...(o.onMonitorWaiting ? { onWaiting: o.onMonitorWaiting } : {}),
      })
    : null;

const describeRun = (o: UpscaleVideoOptions, info: VideoInfo, plan: RunPlan, runtime: UpscalerRuntime, crop: number): RunDescription => ({
  input: o.input,
  output: o.output,
  inputSize: { width: info.width, height: info.height },
  modelInputSize: plan.modelInputSize,
  outputSize: plan.outputSize,
  scale: o.scale,
  model: runtime.model,
  backend: runtime.backend,
  mode: plan.mode,
  reference: plan.referenceLabel,
  detailEvery: plan.detailEvery,
  crop,
  frameRate: info.frameRate,
  totalFrames: info.frameCount,
});

/** The network on one small frame, for the detail estimate: the same upscaler, so the same model and runtime. */
const shadowOf = (upscaler: Upscaler, every: number) =>
  every > 0 ? { shadow: { every, upscale: async (lr: Parameters<Upscaler['upscale']>[0]) => (await upscaler.upscale(lr)).frame } } : {};

/**
 * Upscales a video with ESPCN on luma, keeping audio, subtitles, chapters, metadata, timestamps and colour tags.
 *
 * @example
 * const ac = new AbortController();
 * const { fps, quality } = await upscaleVideo({ input: 'in.mp4', output: 'out.mp4', scale: 2, signal: ac.signal,
 *   monitor: { port: 8080 }, report: 'quality.json', onProgress: (p) => console.error(`${p.frames}/${p.totalFrames}`) });
 */
export const upscaleVideo = async (o: UpscaleVideoOptions): Promise<UpscaleVideoResult> => {
  const model = checkRequest(o);
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });
  const observer = await startObserver(o);
  const started = performance.now();
  let input: OpenedInput | null = null;
  let aligner: ReferenceAligner | null = null;
  let upscaler: Upscaler | null = null;
  let finished = false;
  try {
    input = await openInput(o.input, tools, o.signal);
    const info = input.info;
    const measure = o.measure === true || observer !== null;
    const plan = planRun({ ...o, measure, detailEvery: o.detailEvery ?? DEFAULT_DETAIL_EVERY }, info, tools.major);
    for (const w of plan.warnings) o.onWarning?.(w);
    if (plan.mode === 'reference') aligner = await openReference(o.reference as string, tools, plan.outputSize, plan.pixFmt);
    upscaler = await loadVideoUpscaler(o, model);
    const ref = aligner;
    const probe = plan.mode
      ? createQualityProbe({
          mode: plan.mode,
          scale: o.scale,
          ...(ref ? { reference: (f) => ref.frameFor(f), close: () => ref.close() } : {}),
          ...shadowOf(upscaler, plan.detailEvery),
        })
      : undefined;
    const run = describeRun(o, info, plan, upscaler.runtime, probe?.crop ?? 0);
    await o.onStart?.(info, run, upscaler.runtime);
    await observer?.onStart(info, run);
    const source = createFrameSource({
      ffmpeg: tools.ffmpeg,
      ffmpegMajor: tools.major,
      input: input.path,
      videoStreamIndex: info.videoStreamIndex,
      strict: o.strict ?? true,
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
      overwrite: o.overwrite ?? false,
      settings: plan.encoder,
      keepStreams: true,
      ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    });
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
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      onFrame,
    });
    const outcome = { elapsedSec: result.elapsedSec, fps: result.fps };
    finished = true;
    const quality = (await observer?.finish(outcome)) ?? summary?.message(outcome) ?? null;
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

/** upscaleVideo: the library's main entry, and what `srvid in.mp4 out.mp4` runs. */
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { InputError, UsageError } from '../errors.js';
import { createFrameSource } from '../ingest/create-frame-source.js';
import { isFullRange, transportPixFmt } from '../ingest/decoder-args.js';
import { probeVideo } from '../ffmpeg/probe-input.js';
import { resolveFfmpeg } from '../ffmpeg/resolve-ffmpeg.js';
import type { FrameReport, FrameSource, Progress, QualityMode, StageTimes, VideoInfo } from '../pipeline/ports.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { checkOutputPath, createEncoderSink } from '../sink/create-encoder-sink.js';
import { defaultCodec, muxerForPath } from '../sink/encoder-args.js';
import type { RunDescription } from '../monitor/messages.js';
import { createReferenceAligner } from '../quality/align-reference.js';
import { createQualityProbe } from '../quality/create-quality-probe.js';
import { checkScale } from './choices.js';
import { loadVideoUpscaler, type VideoModelChoice } from './load-model.js';

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
   * output is then the reconstruction), a high-resolution video at the output's size, or, with `measure`
   * alone, consistency (the output downscaled back, compared with the input).
   */
  readonly reference?: string;
  readonly measure?: boolean;
  readonly signal?: AbortSignal;
  /** After probing and loading, before the first frame; may return a promise the run waits for. */
  readonly onStart?: (info: VideoInfo, description: string, run: RunDescription) => void | Promise<void>;
  readonly onProgress?: (p: Progress) => void;
  readonly onFrame?: (r: FrameReport) => void;
  readonly onWarning?: (message: string) => void;
}

export interface UpscaleVideoResult {
  readonly frames: number;
  readonly elapsedSec: number;
  readonly fps: number;
  /** Mean milliseconds per frame in each stage. */
  readonly stages: StageTimes;
  readonly info: VideoInfo;
}

const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/**
 * Upscales a video with ESPCN on luma, keeping audio, subtitles, chapters, metadata, timestamps and colour tags.
 *
 * @example
 * const ac = new AbortController();
 * await upscaleVideo({ input: 'in.mp4', output: 'out.mp4', scale: 2, signal: ac.signal,
 *   onProgress: (p) => console.error(`${p.frames}/${p.totalFrames}`) });
 */
export const upscaleVideo = async (o: UpscaleVideoOptions): Promise<UpscaleVideoResult> => {
  checkScale(o.scale);
  if (o.input !== '-' && !isUrl(o.input) && !existsSync(o.input)) throw new InputError(`${o.input}: no such file`);
  checkOutputPath(o.output, o.overwrite ?? false);
  const muxer = o.format ?? (o.output === '-' ? 'matroska' : muxerForPath(o.output));
  if (!muxer) throw new UsageError(`cannot tell the container from "${o.output}"; use .mp4, .mkv, .mov or .webm, or pass --format`);
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });

  let spool: string | null = null;
  try {
    let input = o.input;
    if (input === '-') {
      // Audio and subtitles are read by the encoder in a second pass over the input, so stdin is kept on disk.
      spool = mkdtempSync(join(tmpdir(), 'srvid-stdin-'));
      input = join(spool, 'input');
      const dir = spool;
      process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // also after a forced exit
      await pipeStreams(process.stdin, createWriteStream(input), ...(o.signal ? [{ signal: o.signal }] : []));
    }
    const info = await probeVideo(tools.ffprobe, input);
    const pixFmt = transportPixFmt(info.bitDepth, tools.major);
    if (info.bitDepth > 8 && pixFmt === 'yuv420p') {
      o.onWarning?.(
        `${info.bitDepth}-bit input is processed as 8-bit: ffmpeg ${tools.major} cannot carry 10-bit raw frames; install ffmpeg ≥ 5`,
      );
    }
    if (!/^yuvj?420p/.test(info.pixFmt)) o.onWarning?.(`${info.pixFmt} input is converted to ${pixFmt} (4:2:0)`);
    const mode: QualityMode | null =
      o.reference === 'self' ? 'self' : o.reference !== undefined ? 'reference' : o.measure ? 'consistency' : null;
    if (mode === 'self' && (info.width < 8 * o.scale || info.height < 8 * o.scale)) {
      throw new UsageError(`--reference self downscales the input by ${o.scale}: ${info.width}x${info.height} is too small for that`);
    }
    const modelSize =
      mode === 'self'
        ? { width: Math.floor(info.width / o.scale), height: Math.floor(info.height / o.scale) }
        : { width: info.width, height: info.height };
    const outSize = { width: modelSize.width * o.scale, height: modelSize.height * o.scale };
    const inFlight = Math.max(2, o.maxFramesInFlight ?? 8);
    let reference: { source: FrameSource; label: string } | null = null;
    if (mode === 'reference') {
      const refInput = o.reference as string;
      if (!isUrl(refInput) && !existsSync(refInput)) throw new InputError(`reference ${refInput}: no such file`);
      const ref = await probeVideo(tools.ffprobe, refInput);
      if (ref.width !== outSize.width || ref.height !== outSize.height) {
        throw new UsageError(
          `reference ${refInput} is ${ref.width}x${ref.height} but the output is ${outSize.width}x${outSize.height}: give a reference at the output's size`,
        );
      }
      reference = {
        label: `against ${refInput} (${ref.width}x${ref.height}), frames paired by timestamp`,
        source: createFrameSource({
          ffmpeg: tools.ffmpeg,
          ffmpegMajor: tools.major,
          input: refInput,
          videoStreamIndex: ref.videoStreamIndex,
          strict: true,
          fullRange: isFullRange(ref.pixFmt, ref.color.range),
          format: { ...outSize, pixFmt },
          highWater: 4,
        }),
      };
    }
    const { upscaler, model, backend } = await loadVideoUpscaler(o);
    const aligner = reference ? createReferenceAligner(reference.source) : null;
    const probe = mode
      ? createQualityProbe({
          mode,
          scale: o.scale,
          ...(aligner ? { reference: (f) => aligner.frameFor(f), close: () => aligner.close() } : {}),
        })
      : undefined;
    try {
      await o.onStart?.(info, upscaler.description, {
        input: o.input,
        output: o.output,
        inputSize: { width: info.width, height: info.height },
        modelInputSize: modelSize,
        outputSize: outSize,
        scale: o.scale,
        model,
        backend,
        mode,
        reference:
          mode === 'self'
            ? `against the input itself, which the model sees downscaled by ${o.scale} (antialiased bicubic); ${o.scale} px border cropped`
            : mode === 'consistency'
              ? 'the output downscaled back to the input size (antialiased bicubic), against the input: faithfulness to the input, not detail'
              : (reference?.label ?? null),
        crop: probe?.crop ?? 0,
        frameRate: info.frameRate,
        totalFrames: info.frameCount,
      });
      const source = createFrameSource({
        ffmpeg: tools.ffmpeg,
        ffmpegMajor: tools.major,
        input,
        videoStreamIndex: info.videoStreamIndex,
        strict: o.strict ?? true,
        fullRange: isFullRange(info.pixFmt, info.color.range),
        format: { width: info.width, height: info.height, pixFmt },
        highWater: inFlight,
      });
      const sink = createEncoderSink({
        ffmpeg: tools.ffmpeg,
        ffmpegMajor: tools.major,
        info: { ...info, source: input },
        format: { ...outSize, pixFmt },
        output: o.output,
        muxer,
        overwrite: o.overwrite ?? false,
        settings: { codec: o.codec ?? defaultCodec(muxer), crf: o.crf ?? 18, preset: o.preset ?? 'medium' },
        keepStreams: true,
        ...(o.onWarning ? { onWarning: o.onWarning } : {}),
      });
      const result = await runPipeline({
        source,
        upscaler,
        sink,
        // Two frames per worker keep each one fed while the other's result travels back.
        concurrent: Math.min(o.concurrent || 2 * upscaler.parallelism, inFlight),
        totalFrames: info.frameCount,
        ...(probe ? { probe } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        ...(o.onFrame ? { onFrame: o.onFrame } : {}),
      });
      return { ...result, info };
    } finally {
      await aligner?.close();
      await upscaler.dispose();
    }
  } finally {
    if (spool) rmSync(spool, { recursive: true, force: true });
  }
};

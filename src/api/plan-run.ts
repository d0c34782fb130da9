/**
 * A video run's plan: everything decided from the request, the probed input and the ffmpeg version before
 * any frame moves — the quality mode, the sizes at each end, the pixel format on the pipes, the muxer, the
 * encoder settings, the frames in flight and the warnings. Pure, so each decision is unit-tested.
 */
import { UsageError } from '../errors.js';
import { everyNth } from '../monitor/messages.js';
import { transportPixFmt } from '../ingest/decoder-args.js';
import type { PixelFormat } from '../pipeline/frame.js';
import type { QualityMode, VideoInfo } from '../pipeline/ports.js';
import { defaultCodec, FILE_PRESET, muxerForPath, type EncoderSettings } from '../sink/encoder-args.js';

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** What the request says, as far as the plan needs it. */
export interface RunRequest {
  readonly output: string;
  readonly scale: number;
  readonly format?: string;
  readonly codec?: string;
  readonly crf: number;
  /** Unless given: FILE_PRESET (a live run's encoder then takes LIVE_PRESET instead). */
  readonly preset?: string;
  /** 'self', a reference video, or nothing. */
  readonly reference?: string;
  /** Whether quality is measured at all (a monitor, a report, or a reference). */
  readonly measure: boolean;
  /** Every Nth frame gets a shadow self-evaluation in consistency mode (0: never). */
  readonly detailEvery: number;
  readonly maxFramesInFlight: number;
  /** Live mode, and whether stdout is a regular file: `-` is MPEG-TS on a live run's pipe. */
  readonly live: boolean;
  readonly stdoutIsFile: boolean;
}

export interface RunPlan {
  readonly mode: QualityMode | null;
  /** The size the network works at: the input's, or (self mode) the input downscaled by the scale. */
  readonly modelInputSize: Size;
  readonly outputSize: Size;
  readonly pixFmt: PixelFormat;
  readonly muxer: string;
  readonly encoder: EncoderSettings;
  readonly framesInFlight: number;
  /** Consistency mode's shadow self-evaluation, every Nth frame; 0 outside consistency mode. */
  readonly detailEvery: number;
  /** What each quality figure is measured against, in words; null without metrics. */
  readonly referenceLabel: string | null;
  readonly warnings: readonly string[];
}

/**
 * The output's container: `--format`, else on stdout Matroska (MPEG-TS for a live run into a pipe), else from
 * the extension or the URL's scheme (udp/srt: MPEG-TS, rtmp: FLV, .m3u8: HLS).
 */
export const planMuxer = (output: string, format?: string, live = false, stdoutIsFile = false): string => {
  const muxer = format ?? (output === '-' ? (live && !stdoutIsFile ? 'mpegts' : 'matroska') : muxerForPath(output));
  if (!muxer) {
    throw new UsageError(
      `cannot tell the container from "${output}"; use .mp4, .mkv, .mov, .webm, .ts, .m3u8 or a udp://, srt://, rtmp:// URL, or pass --format`,
    );
  }
  return muxer;
};

/** The video encoder: `--codec`, else the container's default (libx264; libvpx-vp9 for WebM). */
export const planCodec = (muxer: string, codec?: string): string => codec ?? defaultCodec(muxer);

export const qualityMode = (r: Pick<RunRequest, 'reference' | 'measure'>): QualityMode | null =>
  r.reference === 'self' ? 'self' : r.reference !== undefined ? 'reference' : r.measure ? 'consistency' : null;

/**
 * The network sees each frame whole, so the two fields of interlaced video are upscaled woven together and
 * their combing on motion is magnified with them; ffmpeg's yadif (or bwdif) deinterlaces first.
 */
const interlacedWarning = (fieldOrder: string): string =>
  `the input is interlaced (${fieldOrder === 'tt' || fieldOrder === 'bt' ? 'top' : 'bottom'} field first): its fields are upscaled ` +
  'woven together, combing and all; deinterlace it first, e.g. ffmpeg -i IN -vf yadif -c:a copy OUT.mkv, and upscale that';

export const planRun = (r: RunRequest, info: VideoInfo, ffmpegMajor: number): RunPlan => {
  const s = r.scale;
  const warnings: string[] = [];
  const pixFmt = transportPixFmt(info.bitDepth, ffmpegMajor);
  if (info.bitDepth > 8 && pixFmt === 'yuv420p') {
    warnings.push(
      `${info.bitDepth}-bit input is processed as 8-bit: ffmpeg ${ffmpegMajor} cannot carry 10-bit raw frames; install ffmpeg ≥ 5`,
    );
  }
  if (!/^yuvj?420p/.test(info.pixFmt)) warnings.push(`${info.pixFmt} input is converted to ${pixFmt} (4:2:0)`);
  if (info.fieldOrder) warnings.push(interlacedWarning(info.fieldOrder));
  const mode = qualityMode(r);
  if (mode === 'self' && (info.width < 8 * s || info.height < 8 * s)) {
    throw new UsageError(`--reference self downscales the input by ${s}: ${info.width}x${info.height} is too small for that`);
  }
  const modelInputSize =
    mode === 'self'
      ? { width: Math.floor(info.width / s), height: Math.floor(info.height / s) }
      : { width: info.width, height: info.height };
  const outputSize = { width: modelInputSize.width * s, height: modelInputSize.height * s };
  // ffmpeg's own limit on a frame, (w + 128)(h + 128) < 2^28 samples: a larger output could never be encoded.
  if ((outputSize.width + 128) * (outputSize.height + 128) >= 2 ** 28) {
    throw new UsageError(
      `${info.width}x${info.height} upscaled x${s} is ${outputSize.width}x${outputSize.height}, larger than ffmpeg can encode; use a smaller --scale or a smaller input`,
    );
  }
  // The shadow downscales a frame by the scale, so it needs room for the network's context after that.
  const detailEvery = mode === 'consistency' && info.width >= 8 * s && info.height >= 8 * s ? r.detailEvery : 0;
  const muxer = planMuxer(r.output, r.format, r.live, r.stdoutIsFile);
  const referenceLabel =
    mode === 'self'
      ? `against the input itself, which the model sees downscaled by ${s} (antialiased bicubic); ${s} px border cropped`
      : mode === 'consistency'
        ? 'the output downscaled back to the input size (antialiased bicubic), against the input: faithfulness to the input, not detail' +
          (detailEvery ? `; detail estimated on ${everyNth(detailEvery)}, downscaled by ${s} and upscaled again, against itself` : '')
        : mode === 'reference'
          ? `against ${r.reference as string}, frames paired by timestamp`
          : null;
  return {
    mode,
    modelInputSize,
    outputSize,
    pixFmt,
    muxer,
    encoder: { codec: planCodec(muxer, r.codec), crf: r.crf, preset: r.preset ?? FILE_PRESET },
    framesInFlight: Math.max(2, r.maxFramesInFlight),
    detailEvery,
    referenceLabel,
    warnings,
  };
};

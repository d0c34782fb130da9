/**
 * One segment of a segmented job: the cut segment (video only) → the pipeline → an upscaled segment in
 * Matroska, video only, encoded with the job's final codec so the join copies it. The sink writes a temporary
 * file and renames it only when ffmpeg succeeds; the caller then counts its frames before calling it done.
 */
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { createFrameSource } from '../ingest/create-frame-source.js';
import type { PixelFormat } from '../pipeline/frame.js';
import type { Progress, Upscaler, VideoInfo } from '../pipeline/ports.js';
import { runPipeline } from '../pipeline/run-pipeline.js';
import { createEncoderSink } from '../sink/create-encoder-sink.js';
import type { SegmentSettings } from './queue.js';

export interface SegmentRun {
  readonly tools: FfmpegTools;
  readonly upscaler: Upscaler;
  readonly settings: SegmentSettings;
  readonly source: string;
  readonly output: string;
  readonly frames: number;
  /** Frames in flight in all (the resolved run option; at least 2). */
  readonly maxFramesInFlight: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
}

export const upscaleSegment = async (r: SegmentRun): Promise<{ frames: number; fps: number }> => {
  const s = r.settings;
  const pixFmt = s.pixFmt as PixelFormat;
  const highWater = Math.max(2, r.maxFramesInFlight);
  // The sink needs the input's description only for the colour tags: a segment carries no other stream.
  const info: VideoInfo = {
    source: r.source,
    formatName: 'matroska',
    width: s.width,
    height: s.height,
    pixFmt,
    bitDepth: s.bitDepth,
    frameRate: null,
    timeBase: null,
    durationSec: null,
    frameCount: r.frames,
    rotation: 0,
    color: s.color,
    videoStreamIndex: 0,
    streams: [],
    chapterCount: 0,
  };
  const source = createFrameSource({
    ffmpeg: r.tools.ffmpeg,
    ffmpegMajor: r.tools.major,
    input: r.source,
    videoStreamIndex: 0,
    strict: true,
    fullRange: s.fullRange,
    format: { width: s.width, height: s.height, pixFmt },
    highWater,
  });
  const sink = createEncoderSink({
    ffmpeg: r.tools.ffmpeg,
    ffmpegMajor: r.tools.major,
    info,
    format: { width: s.width * s.scale, height: s.height * s.scale, pixFmt },
    output: r.output,
    muxer: 'matroska',
    overwrite: true,
    settings: { codec: s.codec, crf: s.crf, preset: s.preset },
    keepStreams: false,
  });
  const result = await runPipeline({
    source,
    upscaler: r.upscaler,
    sink,
    concurrent: Math.min(2 * r.upscaler.parallelism, highWater),
    totalFrames: r.frames,
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.onProgress ? { onProgress: r.onProgress } : {}),
  });
  return { frames: result.frames, fps: result.fps };
};

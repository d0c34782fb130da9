/** The ports between the pipeline and its adapters. Adapters import these types; the pipeline imports no adapter. */
import type { Observable } from 'rxjs';
import type { Frame, FrameFormat } from './frame.js';

export type StreamType = 'video' | 'audio' | 'subtitle' | 'data' | 'attachment';

export interface StreamInfo {
  /** Index in the input container (ffprobe's `index`). */
  readonly index: number;
  readonly type: StreamType;
  readonly codec: string;
  readonly language?: string;
}

/** Colour description as ffmpeg names it (`-colorspace`, `-color_range`, `-color_primaries`, `-color_trc`). */
export interface ColorTags {
  readonly matrix?: string;
  readonly range?: string;
  readonly primaries?: string;
  readonly transfer?: string;
}

/** What the probe learned about an input video. */
export interface VideoInfo {
  readonly source: string;
  readonly formatName: string;
  /** Display size: after the container's rotation is applied (the decoder applies it). */
  readonly width: number;
  readonly height: number;
  /** The source's own pixel format (e.g. yuv420p, yuv420p10le, yuvj420p). */
  readonly pixFmt: string;
  readonly bitDepth: number;
  /** Average frame rate in frames per second, or null when unknown. */
  readonly frameRate: number | null;
  /** The video stream's time base as ffprobe gives it (e.g. "1/15360"); timestamps travel in milliseconds. */
  readonly timeBase: string | null;
  readonly durationSec: number | null;
  /** Frame count from the container, or an estimate from duration × rate, or null. */
  readonly frameCount: number | null;
  readonly rotation: number;
  readonly color: ColorTags;
  /** Index of the video stream that is upscaled. */
  readonly videoStreamIndex: number;
  readonly streams: readonly StreamInfo[];
  readonly chapterCount: number;
}

/**
 * Frames from a decoder. `frames()` is cold: subscribing starts the decoder, unsubscribing stops it.
 * At most `highWater` frames are emitted and not yet released: that bound is the run's memory.
 */
export interface FrameSource {
  readonly format: FrameFormat;
  readonly highWater: number;
  frames(): Observable<Frame>;
  /** One emitted frame has left the pipeline (written or dropped); the decoder may read another. */
  release(frame: Frame): void;
}

/** Upscales whole frames (luma by the model, chroma conventionally). */
export interface Upscaler {
  readonly scale: number;
  /** Model name and backend, for progress and reports. */
  readonly description: string;
  upscale(frame: Frame): Promise<Frame>;
  dispose(): Promise<void>;
}

/** A super-resolution network on one luma plane, values Y/peak in [0, 1]. */
export interface LumaModel {
  readonly scale: number;
  readonly name: string;
  readonly backend: string;
  /** `width × height` floats in, `scale² × width × height` out (row-major). */
  run(luma: Float32Array, width: number, height: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Takes upscaled frames in order and produces the output. */
export interface FrameSink {
  /** Resolves once the frame is handed over and the sink can take another without unbounded buffering. */
  write(frame: Frame): Promise<void>;
  /** Ends the stream, waits for the encoder, and only then makes the output visible. */
  finish(): Promise<void>;
  /** Stops the encoder and removes any partial output. Never rejects. */
  abort(): Promise<void>;
}

export interface Progress {
  readonly frames: number;
  readonly totalFrames: number | null;
  readonly fps: number;
  readonly elapsedSec: number;
  readonly etaSec: number | null;
}

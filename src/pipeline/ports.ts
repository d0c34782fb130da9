/** The ports between the pipeline and its adapters. Adapters import these types; the pipeline imports no adapter. */
import type { Observable } from 'rxjs';
import type { Frame, FrameFormat, PixelFormat } from './frame.js';

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
  /** Interlaced video's field order as ffprobe names it ('tt', 'bb', 'tb', 'bt'); absent when progressive or unknown. */
  readonly fieldOrder?: string;
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

/**
 * A track of the input other than the upscaled video (a live decoder's audio and subtitles, from its one
 * stream), passed through to the encoder as it is: `entry` is its Matroska TrackEntry without the number and UID.
 */
export interface SideTrack {
  readonly track: number;
  readonly type: 'video' | 'audio' | 'subtitle' | 'data';
  readonly codecId: string;
  /** ffmpeg's name for the codec (`pcm_s16le`, `subrip`, `ass`, `dvb_subtitle`, …), or the codec ID when it has none. */
  readonly codec: string;
  /** The track's language as Matroska gives it (`eng`), when it says one. */
  readonly language?: string;
  readonly entry: Uint8Array;
}

/** One packet of a side track, with its timestamp; its bytes are never looked into. */
export interface SidePacket {
  readonly track: number;
  readonly ptsMs: number;
  /** How long it shows, for a subtitle cue (Matroska's BlockDuration); absent for audio. */
  readonly durationMs?: number;
  readonly keyframe: boolean;
  readonly data: Uint8Array;
}

/**
 * How the input's other streams (audio, subtitles, chapters, metadata) reach the encoder: it opens the input
 * again (a file, which can be read twice), or, from an input read once (a network URL, stdin), the decoder
 * hands its audio and subtitle packets over as they arrive, for the encoder to mux in step with the frames.
 */
export type SideRoute =
  | { readonly kind: 'reopen'; readonly path: string }
  | {
      readonly kind: 'packets';
      readonly tracks: readonly SideTrack[];
      /** Packets go to `to` from now on (those read before are kept for it). */
      connect(to: (p: SidePacket) => void): void;
    };

/**
 * An opened input, file or live, behind one port. `kind` says how it is paced: 'live' arrives in real time and
 * is never waited for (the run's latency policy applies); 'file' waits for the pipeline, every frame kept (a
 * file, a URL read as one, or stdin that ran ahead of its timestamps).
 */
export interface OpenedSource {
  readonly kind: 'file' | 'live';
  readonly info: VideoInfo;
  readonly side: SideRoute;
  /**
   * The frames, at most `highWater` out and not released when the source is a file (a live source ignores the
   * bound). A file's decoder converts to `pixFmt`; a live decoder, already reading, keeps its own.
   */
  frames(transport: { readonly pixFmt: PixelFormat; readonly highWater: number }): FrameSource;
  /** Stops a decoder that never ran and removes what opening left (a spooled copy of a stream). */
  close(): void;
}

/** Where an upscaler spent one frame's time, in milliseconds of its own thread. */
export interface UpscaleTimes {
  /** Samples to the model's floats and back (rounding, clamping). */
  readonly convertMs: number;
  /** The network on Y (all tiles). */
  readonly inferenceMs: number;
  /** Conventional resampling of U and V. */
  readonly chromaMs: number;
}

export interface Upscaled {
  readonly frame: Frame;
  readonly times: UpscaleTimes;
}

/** What runs the network, as data for progress lines, monitors and reports. */
export interface UpscalerRuntime {
  /** The model's name, such as `espcn-x2`, or the path given as a model file. */
  readonly model: string;
  /** The runtime that loaded it, such as `onnxruntime-cpu` or `tfjs-wasm`. */
  readonly backend: string;
  /** Worker threads (1: the network runs on the calling thread). */
  readonly workers: number;
  /** onnxruntime threads in each worker; null when the runtime sets its own. */
  readonly threadsPerWorker: number | null;
}

/** Upscales whole frames (luma by the model, chroma conventionally). */
export interface Upscaler {
  readonly scale: number;
  readonly runtime: UpscalerRuntime;
  /** Frames it can work on at the same time (worker threads); the pipeline keeps at least this many queued. */
  readonly parallelism: number;
  upscale(frame: Frame): Promise<Upscaled>;
  /**
   * A recurrent upscaler's frames form one stream, in order, each carrying state to the next. This upscales a
   * frame outside that stream (the detail estimate's shadow frame): from no past, and leaving the state alone.
   * Absent where every frame stands alone anyway; callers fall back to `upscale`.
   */
  upscaleAlone?(frame: Frame): Promise<Upscaled>;
  dispose(): Promise<void>;
}

/** A super-resolution network on one luma plane, values Y/peak in [0, 1]. */
export interface LumaModel {
  readonly scale: number;
  readonly name: string;
  readonly backend: string;
  /**
   * `width × height` floats in, `scale² × width × height` out (row-major). With `into` (of that output length)
   * a backend may write the result there instead of allocating; use the returned array either way.
   */
  run(luma: Float32Array, width: number, height: number, into?: Float32Array): Promise<Float32Array>;
  /**
   * An 8-bit plane in, its upscale in 8-bit levels out (rounded and clamped), where the model reads and writes
   * 8-bit planes itself: a frame then skips the conversions to and from floats. `into` as for `run`.
   */
  run8?(luma: Uint8Array, width: number, height: number, into?: Uint8Array): Promise<Uint8Array>;
  dispose(): Promise<void>;
}

/** What one frame of a recurrent network reads: the frame and what the previous frame left (all Y/peak floats). */
export interface RecurrentInput {
  /** The frame, `width × height`. */
  readonly y: Float32Array;
  /** The previous frame (after a reset: `y` itself). */
  readonly yPrev: Float32Array;
  /** The previous frame's output, `scale² × width × height` (after a reset: zeros). */
  readonly yUpPrev: Float32Array;
  /** The previous frame's state, `stateChannels × width × height`, channel-major (after a reset: zeros). */
  readonly state: Float32Array;
}

/**
 * A recurrent super-resolution network on one luma plane (rvsr): one frame per step, its past passed in and
 * its state handed back, so the caller decides what it carries (tiles, resets at scene cuts and gaps).
 */
export interface RecurrentLumaModel {
  readonly scale: number;
  readonly name: string;
  readonly backend: string;
  /** Channels of the state, at the input's size. */
  readonly stateChannels: number;
  step(input: RecurrentInput, width: number, height: number): Promise<{ readonly yUp: Float32Array; readonly state: Float32Array }>;
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
  /** Live runs: frames dropped and frames upscaled by bicubic instead of the network so far, and the last frame's lag. */
  readonly dropped?: number;
  readonly fallback?: number;
  readonly latencyMs?: number;
}

/** Where the ground truth of the per-frame quality comes from (DESIGN.md, decision 6). */
export type QualityMode = 'reference' | 'self' | 'consistency';

export interface MetricPair {
  /** PSNR-Y in dB (Infinity for identical planes). */
  readonly psnr: number;
  /** SSIM-Y, 8×8 blocks as ffmpeg's `ssim` filter computes it. */
  readonly ssim: number;
}

/**
 * `consistency` mode's detail estimate on a shadow frame: the input frame downscaled by the scale (as `self` mode
 * does), upscaled by srvid's network and by bicubic, both compared with the input frame itself (`scale` px border
 * cropped). It measures detail where consistency cannot; the output is never affected.
 */
export interface DetailEstimate {
  readonly srvid: MetricPair;
  readonly bicubic: MetricPair;
}

/** One frame's quality against the stated reference, for srvid and for plain bicubic on the same frame. */
export interface FrameQuality {
  readonly srvid: MetricPair;
  readonly bicubic: MetricPair;
  /** `consistency` mode, on every Nth frame when the probe has a shadow: see DetailEstimate. Absent otherwise. */
  readonly detail?: DetailEstimate;
  /**
   * Milliseconds this frame cost per step: bicubic upscale, resizing for the comparison, PSNR, SSIM; `shadow`:
   * the detail estimate's main-thread work on this frame (downscale, bicubic, PSNR, SSIM; not the network, which
   * runs in a worker), 0 or absent on frames without one.
   */
  readonly costMs: {
    readonly bicubic: number;
    readonly resize: number;
    readonly psnr: number;
    readonly ssim: number;
    readonly shadow?: number;
  };
}

/** Measures each upscaled frame; in `self` mode it also makes the low-resolution frame the model sees. */
export interface QualityProbe {
  readonly mode: QualityMode;
  /** Samples excluded at each border before measuring. */
  readonly crop: number;
  /** `consistency` mode with a shadow: every how many frames a detail estimate is made (null or absent: never). */
  readonly detailEvery?: number | null;
  /**
   * The frame given to the upscaler: the input itself, or (`self`) the input downscaled by the scale. With
   * `shadow` false (a live run that is behind), no detail estimate is started for it: its network work would
   * take the network from the frames themselves.
   */
  prepare(frame: Frame, shadow?: boolean): Frame;
  /** Null when there is no ground truth for this frame (a reference video without a frame at its time). */
  measure(source: Frame, modelInput: Frame, output: Frame): Promise<FrameQuality | null>;
  /**
   * The frame will not be measured (a live run dropped it, or passed it on unmeasured while behind): what
   * prepare() started for it is let go. Without this, a live run that stays behind would keep every shadow frame.
   */
  release?(source: Frame): void;
  close(): Promise<void>;
}

/**
 * One frame's time per stage, in milliseconds. The stages overlap (worker threads, ffmpeg processes), so these
 * do not add up to the frame's latency: they say which stage is busy and which one waits.
 */
export interface StageTimes extends UpscaleTimes {
  /** How long a free model slot waited for the decoder to deliver this frame (0: the frame was queued first). */
  readonly decodeWaitMs: number;
  /** Quality metrics (0 without a probe). */
  readonly qualityMs: number;
  /** How long handing the frame to the encoder waited for its pipe to drain. */
  readonly encodeWaitMs: number;
}

/** What the run knows about one frame once it is written: for monitors and reports. */
export interface FrameReport {
  readonly index: number;
  readonly ptsMs: number | null;
  readonly quality: FrameQuality | null;
  /** Frames per second over the run so far. */
  readonly fps: number;
  /** From the decoder handing the frame over to the encoder taking it. */
  readonly latencyMs: number;
  /** Frames decoded and not yet written, this one included. */
  readonly queueDepth: number;
  /** Frames dropped or passed through bicubic so far (a file run does neither; live runs may). */
  readonly dropped: number;
  readonly fallback: number;
  /** Where this frame's time went (see StageTimes). */
  readonly times: StageTimes;
  /** The frame the model saw and what it made of it (never reused by the pipeline, so they may be kept). */
  readonly modelInput: Frame;
  readonly output: Frame;
}

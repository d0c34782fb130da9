/** ffmpeg arguments for the decoder: the input's video stream as raw frames in Matroska on stdout. Pure. */
import { protocolWhitelistArgs, videoInputArgs } from '../ffmpeg/protocols.js';
import type { PixelFormat } from '../pipeline/frame.js';

export interface DecoderArgsOptions {
  readonly input: string;
  readonly videoStreamIndex: number;
  readonly pixFmt: PixelFormat;
  /** ffmpeg's major version: ≥ 5 names `-fps_mode` and needs `-allow_raw_vfw` for 10-bit raw in Matroska. */
  readonly ffmpegMajor: number;
  /** Stop on the first decoding error instead of skipping damaged frames. */
  readonly strict: boolean;
  /** Full-range (yuvj*, `color_range=pc`) input: keep 0–255 levels rather than squeezing them to 16–235. */
  readonly fullRange?: boolean;
}

/** Every frame with its own timestamp: none dropped or duplicated to a constant rate. */
const passthroughArgs = (ffmpegMajor: number): string[] => (ffmpegMajor >= 5 ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']);

/** Raw frames of `pixFmt`, with millisecond timestamps. */
const rawVideoArgs = (pixFmt: PixelFormat): string[] => [
  '-c:v',
  'rawvideo',
  // The encoder's time base defaults to 1/frame-rate even in passthrough, which would round VFR timestamps.
  '-enc_time_base',
  '1/1000',
  '-pix_fmt',
  pixFmt,
];

export const decoderArgs = (o: DecoderArgsOptions): string[] => [
  '-hide_banner',
  '-nostdin',
  '-loglevel',
  'error',
  ...(o.strict ? ['-xerror'] : []),
  ...videoInputArgs(o.input, o.videoStreamIndex),
  ...passthroughArgs(o.ffmpegMajor),
  // A picture size that changes mid-stream: ffmpeg would scale later frames to the first one's size, silently
  // stretching them; without autoscale they keep their size, and the frame source refuses them by name.
  ...(o.ffmpegMajor >= 5 ? ['-autoscale', '0'] : []),
  ...(o.fullRange ? ['-vf', 'scale=in_range=full:out_range=full'] : []),
  ...rawVideoArgs(o.pixFmt),
  ...(o.ffmpegMajor >= 5 ? ['-allow_raw_vfw', '1'] : []),
  '-f',
  'matroska',
  'pipe:1',
];

/**
 * The subtitle streams a live decoder puts in its Matroska pipe: `all` copies every one (the first try, since
 * nothing probes a live input); `chosen` maps streams by input index, each copied or converted to SubRip (after
 * Matroska refused one of `all`); `none` maps none.
 */
export type LiveSubtitles =
  | { readonly kind: 'all' }
  | { readonly kind: 'chosen'; readonly streams: readonly { readonly index: number; readonly codec: 'copy' | 'srt' }[] }
  | { readonly kind: 'none' };

const subtitleArgs = (s: LiveSubtitles): string[] => {
  if (s.kind === 'all') return ['-map', '0:s?', '-c:s', 'copy'];
  if (s.kind === 'none') return [];
  // `?`: a stream that is gone after a reconnection is skipped rather than ending the decoder.
  return [...s.streams.flatMap((t) => ['-map', `0:${t.index}?`]), ...s.streams.flatMap((t, k) => [`-c:s:${k}`, t.codec])];
};

/** How long the live decoder's muxer waits for a packet of a sparse (subtitle) stream before writing the others. */
const INTERLEAVE_US = 100_000;

export interface LiveDecoderArgsOptions {
  /** A URL, or 'pipe:0' for stdin. */
  readonly input: string;
  readonly pixFmt: PixelFormat;
  readonly ffmpegMajor: number;
  /** Give up when the input sends nothing for this long (network inputs). */
  readonly readTimeoutMs: number | null;
  /** Wait for a publisher (`rtmp://` as a server). */
  readonly listen: boolean;
  readonly subtitles: LiveSubtitles;
}

/**
 * A UDP input only notices that datagrams stopped through its own `timeout` URL option (its reader thread
 * does not see -rw_timeout); other protocols take -rw_timeout.
 */
export const withReadTimeout = (input: string, timeoutMs: number | null): string => {
  if (timeoutMs === null || !/^udp:\/\//i.test(input) || /[?&]timeout=/.test(input)) return input;
  return `${input}${input.includes('?') ? '&' : '?'}timeout=${timeoutMs * 1000}`;
};

/**
 * A live input, read once: the first video stream as raw frames, every audio stream as PCM and the subtitle
 * streams `subtitles` says, in one Matroska stream on stdout; srvid passes audio and subtitles through to the
 * encoder, in step with the frames. Audio travels as PCM because ffmpeg 5.1's Matroska muxer cannot copy AAC
 * out of MPEG-TS (no extradata at header time); the encoder compresses it again. Damaged packets are skipped
 * (a live run does not stop for them). The log is at info level, each line tagged with its level: the input's
 * stream list (printed before the output starts) says which subtitle streams to choose when Matroska refuses
 * one; messages are made of the error lines (see live-subtitles.ts).
 */
export const liveDecoderArgs = (o: LiveDecoderArgsOptions): string[] => [
  '-hide_banner',
  '-nostdin',
  '-nostats',
  '-loglevel',
  'level+info',
  ...protocolWhitelistArgs(o.input),
  ...(o.readTimeoutMs !== null && o.input !== 'pipe:0' && !o.listen ? ['-rw_timeout', String(o.readTimeoutMs * 1000)] : []),
  ...(o.listen ? ['-listen', '1'] : []),
  // Start after a second of stream rather than five: on a live input, probing time is latency.
  '-analyzeduration',
  '1000000',
  // Frame threads hold (threads - 1) frames back (80 ms on two cores); slice threads hold none (a stream of one
  // slice a picture then decodes on one thread).
  '-thread_type',
  'slice',
  '-copyts',
  '-i',
  withReadTimeout(o.input, o.readTimeoutMs),
  '-map',
  '0:v:0',
  '-map',
  '0:a?',
  ...subtitleArgs(o.subtitles),
  ...passthroughArgs(o.ffmpegMajor),
  ...rawVideoArgs(o.pixFmt),
  '-c:a',
  'pcm_s16le',
  // Small clusters: frames leave the decoder at once instead of waiting for a cluster to fill.
  '-cluster_time_limit',
  '0',
  '-flush_packets',
  '1',
  // A subtitle stream is sparse: by default the muxer would hold the frames back up to 10 s for its next cue.
  '-max_interleave_delta',
  String(INTERLEAVE_US),
  '-f',
  'matroska',
  'pipe:1',
];

/** The pixel format frames travel in: 10-bit stays 10-bit where the ffmpeg build can carry it. */
export const transportPixFmt = (sourceBitDepth: number, ffmpegMajor: number): PixelFormat =>
  sourceBitDepth > 8 && ffmpegMajor >= 5 ? 'yuv420p10le' : 'yuv420p';

/** Whether the probed input is full range (JPEG levels). */
export const isFullRange = (pixFmt: string, range: string | undefined): boolean => range === 'pc' || pixFmt.startsWith('yuvj');

/** ffmpeg arguments for the decoder: the input's video stream as raw frames in Matroska on stdout. Pure. */
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

export const decoderArgs = (o: DecoderArgsOptions): string[] => [
  '-hide_banner',
  '-nostdin',
  '-loglevel',
  'error',
  ...(o.strict ? ['-xerror'] : []),
  // Keep the source's own timestamps so the encoder can line the video up with the copied audio.
  '-copyts',
  '-i',
  o.input,
  '-map',
  `0:${o.videoStreamIndex}`,
  ...(o.ffmpegMajor >= 5 ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough']),
  ...(o.fullRange ? ['-vf', 'scale=in_range=full:out_range=full'] : []),
  '-c:v',
  'rawvideo',
  // The encoder's time base defaults to 1/frame-rate even in passthrough, which would round VFR timestamps.
  '-enc_time_base',
  '1/1000',
  '-pix_fmt',
  o.pixFmt,
  ...(o.ffmpegMajor >= 5 ? ['-allow_raw_vfw', '1'] : []),
  '-f',
  'matroska',
  'pipe:1',
];

/** The pixel format frames travel in: 10-bit stays 10-bit where the ffmpeg build can carry it. */
export const transportPixFmt = (sourceBitDepth: number, ffmpegMajor: number): PixelFormat =>
  sourceBitDepth > 8 && ffmpegMajor >= 5 ? 'yuv420p10le' : 'yuv420p';

/** Whether the probed input is full range (JPEG levels). */
export const isFullRange = (pixFmt: string, range: string | undefined): boolean => range === 'pc' || pixFmt.startsWith('yuvj');

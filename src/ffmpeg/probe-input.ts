/** Turns ffprobe's JSON (`-show_format -show_streams -show_chapters`) into VideoInfo. Pure. */
import { InputError } from '../errors.js';
import type { ColorTags, StreamInfo, StreamType, VideoInfo } from '../pipeline/ports.js';
import { protocolWhitelistArgs } from './protocols.js';
import { runFfprobe } from './read-tool.js';

const probeArgs = (input: string): string[] => [
  '-v',
  'error',
  ...protocolWhitelistArgs(input),
  '-print_format',
  'json',
  '-show_format',
  '-show_streams',
  '-show_chapters',
  input,
];

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  time_base?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  color_space?: string;
  color_range?: string;
  color_primaries?: string;
  color_transfer?: string;
  field_order?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { rotation?: number }[];
}

interface ProbeJson {
  streams?: ProbeStream[];
  format?: { format_name?: string; duration?: string };
  chapters?: unknown[];
}

const TYPES: Record<string, StreamType> = {
  video: 'video',
  audio: 'audio',
  subtitle: 'subtitle',
  data: 'data',
  attachment: 'attachment',
};

const ratio = (s: string | undefined): number | null => {
  if (!s) return null;
  const [n, d] = s.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return null;
  const v = d === undefined ? n : n / d;
  return Number.isFinite(v) && v > 0 ? v : null;
};

const positive = (s: string | undefined): number | null => {
  const v = s === undefined ? NaN : Number(s);
  return Number.isFinite(v) && v > 0 ? v : null;
};

/** ffprobe's field orders of interlaced video: top or bottom field coded first, then displayed first. */
const INTERLACED = new Set(['tt', 'bb', 'tb', 'bt']);

const known = (v: string | undefined): string | undefined => (v && v !== 'unknown' && v !== 'reserved' ? v : undefined);

const bitDepthOf = (s: ProbeStream): number => {
  const raw = Number(s.bits_per_raw_sample);
  if (Number.isFinite(raw) && raw > 0) return raw;
  const m = /p(\d+)(le|be)$/.exec(s.pix_fmt ?? '');
  return m ? Number(m[1]) : 8;
};

export const parseProbe = (raw: unknown, source: string): VideoInfo => {
  const json = (raw ?? {}) as ProbeJson;
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic && s.width && s.height);
  if (!video) {
    throw new InputError(`${source}: no video stream found; give srvid a video file (mp4, mkv, mov, webm, …)`);
  }
  const rotationRaw = video.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(video.tags?.rotate ?? 0);
  const rotation = ((Math.round(rotationRaw) % 360) + 360) % 360;
  const swap = rotation === 90 || rotation === 270;
  const frameRate = ratio(video.avg_frame_rate) ?? ratio(video.r_frame_rate);
  const durationSec = positive(video.duration) ?? positive(json.format?.duration);
  const nbFrames = positive(video.nb_frames);
  const color: ColorTags = {
    matrix: known(video.color_space),
    range: known(video.color_range),
    primaries: known(video.color_primaries),
    transfer: known(video.color_transfer),
  };
  return {
    source,
    formatName: json.format?.format_name ?? 'unknown',
    width: swap ? (video.height as number) : (video.width as number),
    height: swap ? (video.width as number) : (video.height as number),
    pixFmt: video.pix_fmt ?? 'unknown',
    bitDepth: bitDepthOf(video),
    frameRate,
    timeBase: video.time_base ?? null,
    durationSec,
    frameCount: nbFrames ?? (durationSec && frameRate ? Math.round(durationSec * frameRate) : null),
    rotation,
    color,
    ...(video.field_order && INTERLACED.has(video.field_order) ? { fieldOrder: video.field_order } : {}),
    videoStreamIndex: video.index ?? 0,
    streams: streams.map((s, i): StreamInfo => ({
      index: s.index ?? i,
      type: TYPES[s.codec_type ?? ''] ?? 'data',
      codec: s.codec_name ?? 'unknown',
      ...(s.tags?.language ? { language: s.tags.language } : {}),
    })),
    chapterCount: json.chapters?.length ?? 0,
  };
};

/** Reading the packets of one stream to count them (no decoding): `stream=nb_read_packets`. */
export const countPacketsArgs = (input: string, streamIndex: number): string[] => [
  '-v',
  'error',
  ...protocolWhitelistArgs(input),
  '-select_streams',
  String(streamIndex),
  '-count_packets',
  '-show_entries',
  'stream=nb_read_packets',
  '-print_format',
  'json',
  input,
];

/**
 * Probes `source` (path or URL) with ffprobe; `signal` stops it. An AVI header's frame count includes its
 * null frames (the empty chunks that stand for a repeated frame), which no decoder gives: there, the video's
 * packets are counted instead, which reads the file once without decoding it.
 */
export const probeVideo = async (ffprobe: string, source: string, signal?: AbortSignal): Promise<VideoInfo> => {
  const info = parseProbe(await runFfprobe(ffprobe, probeArgs(source), source, signal), source);
  if (info.formatName !== 'avi') return info;
  const json = (await runFfprobe(ffprobe, countPacketsArgs(source, info.videoStreamIndex), source, signal)) as ProbeJson;
  const packets = positive(json.streams?.[0]?.nb_read_packets);
  return packets ? { ...info, frameCount: packets } : info;
};

/**
 * The coded size of the first frame of stream `streamIndex` at or after `ptsMs` (a timestamp of the source, as
 * the decoder passes it through with -copyts), or null when ffprobe cannot say; for naming a size change.
 */
export const probeFrameSize = async (
  ffprobe: string,
  source: string,
  streamIndex: number,
  ptsMs: number,
): Promise<{ width: number; height: number } | null> => {
  const args = ['-v', 'error', ...protocolWhitelistArgs(source), '-select_streams', String(streamIndex)];
  args.push('-read_intervals', `${(ptsMs / 1000).toFixed(3)}%+#1`, '-show_entries', 'frame=width,height', '-print_format', 'json', source);
  try {
    // Only to name the size in an error message: never worth a long wait (a URL that no longer answers).
    const json = (await runFfprobe(ffprobe, args, source, AbortSignal.timeout(10_000))) as {
      frames?: { width?: number; height?: number }[];
    };
    const f = json.frames?.[0];
    return f?.width && f.height ? { width: f.width, height: f.height } : null;
  } catch {
    return null;
  }
};

/**
 * The encoder's plan: ffmpeg arguments that take upscaled frames (Matroska on stdin) plus every other stream
 * of the input, and the warnings for what the output container cannot hold. Pure.
 */
import { urlScheme } from '../ffmpeg/protocols.js';
import type { FrameFormat } from '../pipeline/frame.js';
import type { StreamInfo, VideoInfo } from '../pipeline/ports.js';

export interface EncoderSettings {
  readonly codec: string;
  readonly crf: number;
  readonly preset: string;
}

export interface EncoderArgsOptions {
  readonly info: VideoInfo;
  /** Upscaled frames as they arrive on stdin. */
  readonly format: FrameFormat;
  /** Where ffmpeg writes (a temporary path, or 'pipe:1'). */
  readonly target: string;
  /** The container: ffmpeg muxer name. */
  readonly muxer: string;
  readonly settings: EncoderSettings;
  /** Copy audio, subtitles, chapters and metadata from the input (off when the input cannot be reopened). */
  readonly keepStreams: boolean;
  readonly ffmpegMajor: number;
  /** Side tracks that come with the frames on stdin (a live input's audio, as PCM): each is encoded. */
  readonly sideAudio?: number;
  /** Live output: x264 tuned for latency, a keyframe every two seconds, HLS as a rolling window. */
  readonly live?: { readonly frameRate: number | null; readonly presetGiven: boolean } | null;
}

export interface EncoderPlan {
  readonly args: string[];
  readonly warnings: string[];
}

const MP4_AUDIO = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac', 'opus', 'flac', 'mp2']);
const MOV_AUDIO = new Set([...MP4_AUDIO, 'pcm_s16le', 'pcm_s16be', 'pcm_s24le', 'pcm_s24be', 'pcm_f32le']);
const WEBM_AUDIO = new Set(['opus', 'vorbis']);
const TEXT_SUBS = new Set(['subrip', 'srt', 'ass', 'ssa', 'webvtt', 'mov_text', 'text']);
/** Subtitle codecs ffmpeg's Matroska muxer has a codec ID for. */
const MATROSKA_SUBS = new Set([
  'subrip',
  'srt',
  'ass',
  'ssa',
  'webvtt',
  'text',
  'dvd_subtitle',
  'hdmv_pgs_subtitle',
  'dvb_subtitle',
  'arib_caption',
]);

const EXTENSION_MUXERS: Record<string, string> = {
  mp4: 'mp4',
  m4v: 'mp4',
  mov: 'mov',
  mkv: 'matroska',
  m3u8: 'hls',
  flv: 'flv',
  webm: 'webm',
  ts: 'mpegts',
  m2ts: 'mpegts',
  avi: 'avi',
  nut: 'nut',
  y4m: 'yuv4mpegpipe',
};

/** The video encoder used when none is given: the container's natural one. */
export const defaultCodec = (muxer: string): string => (muxer === 'webm' ? 'libvpx-vp9' : 'libx264');

/** The container a network output takes by its scheme. */
const SCHEME_MUXERS: Record<string, string> = { udp: 'mpegts', srt: 'mpegts', rtp: 'rtp_mpegts', tcp: 'mpegts', rtmp: 'flv', rtmps: 'flv' };

/** ffmpeg muxer for an output file name or URL, or null for one srvid does not know. */
export const muxerForPath = (path: string): string | null => {
  const scheme = urlScheme(path);
  if (scheme && scheme !== 'file') return SCHEME_MUXERS[scheme] ?? null;
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return ext ? (EXTENSION_MUXERS[ext] ?? null) : null;
};

type Disposition = { action: 'copy' } | { action: 'encode'; codec: string; note: string } | { action: 'drop'; note: string };

/** What to do with one non-video stream in `muxer`. */
export const streamDisposition = (s: StreamInfo, muxer: string): Disposition => {
  const what = `${s.type} stream #${s.index} (${s.codec}${s.language ? `, ${s.language}` : ''})`;
  const mp4ish = muxer === 'mp4' || muxer === 'mov';
  if (s.type === 'audio') {
    if (mp4ish && !(muxer === 'mov' ? MOV_AUDIO : MP4_AUDIO).has(s.codec)) {
      return { action: 'encode', codec: 'aac', note: `${what} re-encoded to AAC: ${muxer} cannot hold ${s.codec}` };
    }
    if (muxer === 'webm' && !WEBM_AUDIO.has(s.codec)) {
      return { action: 'encode', codec: 'libopus', note: `${what} re-encoded to Opus: WebM holds only Opus/Vorbis` };
    }
    return { action: 'copy' };
  }
  if (s.type === 'subtitle') {
    const text = TEXT_SUBS.has(s.codec);
    if (muxer === 'matroska') {
      if (MATROSKA_SUBS.has(s.codec)) return { action: 'copy' };
      if (s.codec === 'mov_text') return { action: 'encode', codec: 'srt', note: `${what} converted to SubRip for Matroska` };
    }
    if (mp4ish) {
      if (s.codec === 'mov_text') return { action: 'copy' };
      if (text) return { action: 'encode', codec: 'mov_text', note: `${what} converted to mov_text, the only subtitle format of ${muxer}` };
    }
    if (muxer === 'webm' && text) {
      return s.codec === 'webvtt'
        ? { action: 'copy' }
        : { action: 'encode', codec: 'webvtt', note: `${what} converted to WebVTT for WebM` };
    }
    return { action: 'drop', note: `${what} dropped: ${muxer} cannot hold it (use .mkv to keep it)` };
  }
  if (s.type === 'attachment') {
    return muxer === 'matroska' ? { action: 'copy' } : { action: 'drop', note: `${what} dropped: only Matroska holds attachments` };
  }
  if (s.type === 'video') return { action: 'drop', note: `${what} dropped: srvid upscales one video stream` };
  return { action: 'drop', note: `${what} dropped: data streams are not carried over` };
};

const COLOR_FLAGS: [keyof VideoInfo['color'], string][] = [
  ['matrix', '-colorspace'],
  ['primaries', '-color_primaries'],
  ['transfer', '-color_trc'],
  ['range', '-color_range'],
];

/**
 * The input's other streams, read as ffmpeg's input 1: each audio, subtitle and attachment stream mapped and
 * copied or converted as `muxer` needs, with the input's metadata and chapters. Shared by the encoder and the
 * join of a segmented job, so both give the same output streams.
 */
export const keptStreamArgs = (info: VideoInfo, muxer: string): { maps: string[]; codecs: string[]; warnings: string[] } => {
  const maps: string[] = [];
  const codecs: string[] = [];
  const warnings: string[] = [];
  const counters: Record<string, number> = { audio: 0, subtitle: 0, attachment: 0 };
  for (const s of info.streams) {
    if (s.index === info.videoStreamIndex) continue;
    const d = streamDisposition(s, muxer);
    if (d.action === 'drop') {
      warnings.push(d.note);
      continue;
    }
    const letter = s.type === 'audio' ? 'a' : s.type === 'subtitle' ? 's' : 't';
    const n = counters[s.type] ?? 0;
    counters[s.type] = n + 1;
    maps.push('-map', `1:${s.index}`);
    if (s.type === 'attachment') continue; // attachments are always copied
    codecs.push(`-c:${letter}:${n}`, d.action === 'copy' ? 'copy' : d.codec);
    if (d.action === 'encode') warnings.push(d.note);
  }
  maps.push('-map_metadata', '1', '-map_chapters', '1');
  return { maps, codecs, warnings };
};

export const encoderArgs = (o: EncoderArgsOptions): EncoderPlan => {
  const warnings: string[] = [];
  const { info, format, settings } = o;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-copyts', '-f', 'matroska', '-i', 'pipe:0'];
  const maps = ['-map', '0:v:0'];
  const codecs = ['-c:v', settings.codec];
  if (o.keepStreams) {
    args.push('-i', info.source);
    const kept = keptStreamArgs(info, o.muxer);
    maps.push(...kept.maps);
    codecs.push(...kept.codecs);
    warnings.push(...kept.warnings);
  }
  for (let i = 0; i < (o.sideAudio ?? 0); i++) {
    maps.push('-map', `0:a:${i}`);
    codecs.push(`-c:a:${i}`, o.muxer === 'webm' ? 'libopus' : 'aac');
  }
  // Millisecond time base, as on the pipe: the default (1/frame-rate) would round VFR timestamps. But ffmpeg 4
  // gives packets no duration in any time base but its default one, and its MP4/MOV muxer then ends the edit
  // list at the last frame's start, so players drop that frame: there, the default (VFR rounded to the rate).
  const mp4ish = o.muxer === 'mp4' || o.muxer === 'mov';
  const timeBase = o.ffmpegMajor < 5 && mp4ish ? [] : ['-enc_time_base', '1/1000'];
  const video = ['-pix_fmt', format.pixFmt, '-crf', String(settings.crf), ...timeBase];
  if (/x26[45]/.test(settings.codec)) {
    // only x264/x265 take these presets; live: fast, no frame delay, unless the user chose a preset
    video.push('-preset', o.live && !o.live.presetGiven ? 'veryfast' : settings.preset);
    if (o.live) video.push('-tune', 'zerolatency');
  }
  if (o.live) video.push('-g', String(Math.max(1, Math.round(2 * (o.live.frameRate ?? 25))))); // a keyframe every 2 s
  if (settings.codec === 'libvpx-vp9') video.push('-b:v', '0'); // constant-quality mode: CRF alone is capped by a bitrate
  for (const [key, flag] of COLOR_FLAGS) {
    const value = info.color[key];
    if (value) video.push(flag, value);
  }
  // 4:2:0 encoders need even dimensions; an odd upscaled size (x3 of an odd input) loses its last row/column.
  if (format.width % 2 || format.height % 2) {
    video.push('-vf', 'crop=trunc(iw/2)*2:trunc(ih/2)*2:0:0');
    warnings.push(`output ${format.width}x${format.height} cropped to even dimensions for 4:2:0 encoding`);
  }
  const sync = o.ffmpegMajor >= 5 ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
  const container =
    o.muxer === 'mp4' || o.muxer === 'mov' ? ['-movflags', o.target === 'pipe:1' ? '+frag_keyframe+empty_moov' : '+faststart'] : [];
  // HLS: a rolling window of segments beside the playlist when live; all of them (a VOD playlist) otherwise.
  const hls =
    o.muxer === 'hls'
      ? ['-hls_time', '2', '-hls_list_size', o.live ? '6' : '0', ...(o.live ? ['-hls_flags', 'delete_segments+independent_segments'] : [])]
      : [];
  const flush = o.live ? ['-flush_packets', '1'] : [];
  return { args: [...args, ...maps, ...codecs, ...video, ...sync, ...container, ...hls, ...flush, '-f', o.muxer, o.target], warnings };
};

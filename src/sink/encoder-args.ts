/**
 * The encoder's plan: ffmpeg arguments that take upscaled frames (Matroska on stdin) plus every other stream
 * of the input, and the warnings for what the output container cannot hold. Pure.
 */
import { urlScheme } from '../ffmpeg/protocols.js';
import { streamDisposition } from '../ffmpeg/stream-rules.js';
import type { FrameFormat } from '../pipeline/frame.js';
import type { SideTrack, VideoInfo } from '../pipeline/ports.js';

export { streamDisposition };

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
  /**
   * Tracks that come with the frames on stdin, as its streams 1, 2, … (a live input's): audio (PCM) is encoded;
   * subtitles are copied, converted or left out as the container needs, like a file run's kept streams.
   */
  readonly sideTracks?: readonly SideTrack[];
  /** Live output: x264 tuned for latency, a keyframe every two seconds, HLS as a rolling window. */
  readonly live?: { readonly frameRate: number | null; readonly presetGiven: boolean } | null;
}

export interface EncoderPlan {
  readonly args: string[];
  readonly warnings: string[];
}

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

/** x264/x265's preset unless the user gives one: for a file, and for live output (where no time is to spare). */
export const FILE_PRESET = 'medium';
export const LIVE_PRESET = 'superfast';

/** How long a live muxer waits for a packet of a sparse (subtitle) stream before writing the others: 0.1 s. */
export const LIVE_INTERLEAVE_US = 100_000;

/**
 * A live input's side tracks, read as streams 1, 2, … of ffmpeg's input 0 (the frames pipe): audio encoded for
 * the container, each subtitle track by the same rules as a file run's kept streams.
 */
const sideTrackArgs = (tracks: readonly SideTrack[], muxer: string) => {
  const maps: string[] = [];
  const codecs: string[] = [];
  const warnings: string[] = [];
  let audio = 0;
  let subtitles = 0;
  let seen = 0;
  tracks.forEach((t, i) => {
    if (t.type === 'audio') {
      maps.push('-map', `0:${i + 1}`);
      codecs.push(`-c:a:${audio++}`, muxer === 'webm' ? 'libopus' : 'aac');
    } else if (t.type === 'subtitle') {
      seen++;
      const what = `subtitle track ${seen} (${t.codec}${t.language ? `, ${t.language}` : ''})`;
      const d = streamDisposition({ index: seen, type: 'subtitle', codec: t.codec }, muxer, what);
      if (d.action === 'drop') return void warnings.push(d.note);
      maps.push('-map', `0:${i + 1}`);
      codecs.push(`-c:s:${subtitles++}`, d.action === 'copy' ? 'copy' : d.codec);
      if (d.action === 'encode') warnings.push(d.note);
    }
  });
  return { maps, codecs, warnings, subtitles };
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
  const side = sideTrackArgs(o.sideTracks ?? [], o.muxer);
  maps.push(...side.maps);
  codecs.push(...side.codecs);
  warnings.push(...side.warnings);
  // Millisecond time base, as on the pipe: the default (1/frame-rate) would round VFR timestamps. But ffmpeg 4
  // gives packets no duration in any time base but its default one, and its MP4/MOV muxer then ends the edit
  // list at the last frame's start, so players drop that frame: there, the default (VFR rounded to the rate).
  const mp4ish = o.muxer === 'mp4' || o.muxer === 'mov';
  const timeBase = o.ffmpegMajor < 5 && mp4ish ? [] : ['-enc_time_base', '1/1000'];
  const video = ['-pix_fmt', format.pixFmt, '-crf', String(settings.crf), ...timeBase];
  if (/x26[45]/.test(settings.codec)) {
    // only x264/x265 take these presets. Live: no frame delay, and superfast unless the user chose a preset:
    // with zerolatency's sliced threads, x264 veryfast took 14-18 ms of CPU a 720p frame here against 9-10
    // for superfast (about 40 % more bits at the same CRF), CPU the network needs to keep up.
    video.push('-preset', o.live && !o.live.presetGiven ? LIVE_PRESET : settings.preset);
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
  // A live subtitle track is sparse: without a short interleave wait, the muxer holds everything else back for
  // up to 10 s (its default) whenever no cue is due.
  const interleave = o.live && side.subtitles > 0 ? ['-max_interleave_delta', String(LIVE_INTERLEAVE_US)] : [];
  const flush = o.live ? ['-flush_packets', '1'] : [];
  return {
    args: [...args, ...maps, ...codecs, ...video, ...sync, ...container, ...hls, ...interleave, ...flush, '-f', o.muxer, o.target],
    warnings,
  };
};

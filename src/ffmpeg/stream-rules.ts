/**
 * What each ffmpeg muxer can hold of an input's other streams, declared once: the encoder of a file run, the
 * join of a segmented job, the live decoder's Matroska pipe and the live encoder all ask here. Pure.
 */
import type { StreamInfo } from '../pipeline/ports.js';

const MP4_AUDIO = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac', 'opus', 'flac', 'mp2']);
const MOV_AUDIO = new Set([...MP4_AUDIO, 'pcm_s16le', 'pcm_s16be', 'pcm_s24le', 'pcm_s24be', 'pcm_f32le']);
const WEBM_AUDIO = new Set(['opus', 'vorbis']);

/** Subtitle codecs ffmpeg decodes to text, so it can convert them to another text format. */
export const TEXT_SUBTITLES = new Set([
  'subrip',
  'srt',
  'ass',
  'ssa',
  'webvtt',
  'mov_text',
  'text',
  'eia_608',
  'microdvd',
  'jacosub',
  'mpl2',
  'pjs',
  'realtext',
  'sami',
  'stl',
  'subviewer',
  'subviewer1',
  'vplayer',
]);

/** Subtitle codecs ffmpeg's Matroska muxer has a codec ID for (any other ends the muxer at its start). */
export const MATROSKA_SUBTITLES = new Set([
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

const MUXER_NAMES: Record<string, string> = {
  matroska: 'Matroska',
  mp4: 'MP4',
  mov: 'MOV',
  webm: 'WebM',
  mpegts: 'MPEG-TS',
  rtp_mpegts: 'MPEG-TS over RTP',
  flv: 'FLV',
  hls: 'HLS',
  avi: 'AVI',
  nut: 'NUT',
  yuv4mpegpipe: 'Y4M',
};

/** A muxer's name as users know the container. */
export const containerName = (muxer: string): string => MUXER_NAMES[muxer] ?? muxer;

export type Disposition = { action: 'copy' } | { action: 'encode'; codec: string; note: string } | { action: 'drop'; note: string };

/** How a warning names a stream: `subtitle stream #3 (subrip, eng)`. */
export const describeStream = (s: StreamInfo): string => `${s.type} stream #${s.index} (${s.codec}${s.language ? `, ${s.language}` : ''})`;

/** What to do with one subtitle stream in `muxer`; `what` names it in the notes. */
const subtitleDisposition = (codec: string, muxer: string, what: string): Disposition => {
  const text = TEXT_SUBTITLES.has(codec);
  if (muxer === 'matroska') {
    if (MATROSKA_SUBTITLES.has(codec)) return { action: 'copy' };
    if (text) return { action: 'encode', codec: 'srt', note: `${what} converted to SubRip for Matroska` };
  }
  if (muxer === 'mp4' || muxer === 'mov') {
    if (codec === 'mov_text') return { action: 'copy' };
    if (text) return { action: 'encode', codec: 'mov_text', note: `${what} converted to mov_text, the only subtitle format of ${muxer}` };
  }
  if (muxer === 'webm' && text) {
    return codec === 'webvtt' ? { action: 'copy' } : { action: 'encode', codec: 'webvtt', note: `${what} converted to WebVTT for WebM` };
  }
  const name = containerName(muxer);
  if (!text && !MATROSKA_SUBTITLES.has(codec)) {
    return { action: 'drop', note: `${what} left out: ${name} cannot hold ${codec}, and ffmpeg cannot convert it to text` };
  }
  return {
    action: 'drop',
    note: `${what} left out: ${name} cannot hold ${text ? 'text subtitles' : `${codec} subtitles`}; write .mkv (or -f matroska) to keep it`,
  };
};

/** What to do with one non-video stream in `muxer`; `what` names it in the notes (its type, index and codec by default). */
export const streamDisposition = (s: StreamInfo, muxer: string, what = describeStream(s)): Disposition => {
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
  if (s.type === 'subtitle') return subtitleDisposition(s.codec, muxer, what);
  if (s.type === 'attachment') {
    return muxer === 'matroska' ? { action: 'copy' } : { action: 'drop', note: `${what} dropped: only Matroska holds attachments` };
  }
  if (s.type === 'video') return { action: 'drop', note: `${what} dropped: srvid upscales one video stream` };
  return { action: 'drop', note: `${what} dropped: data streams are not carried over` };
};

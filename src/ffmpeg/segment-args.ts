/**
 * ffmpeg arguments for segmented jobs: cutting the input's video stream at keyframes into segment files
 * (stream copy, original timestamps), reading the segment muxer's list, and the concat demuxer's list that
 * joins the upscaled segments. Pure.
 */
import { videoInputArgs } from './protocols.js';

export interface CutArgsOptions {
  readonly input: string;
  readonly videoStreamIndex: number;
  /** Target segment length; each cut falls on the first keyframe at or after it. */
  readonly seconds: number;
  /** The segment files, as an ffmpeg pattern (`…/src-%05d.mkv`), and the CSV list the muxer writes. */
  readonly pattern: string;
  readonly listPath: string;
}

/**
 * The video stream alone, copied packet by packet: every packet lands in exactly one segment, so every frame
 * is upscaled exactly once. `-copyts` keeps the input's timestamps, as the decoder of a plain run does.
 */
export const cutArgs = (o: CutArgsOptions): string[] => [
  '-hide_banner',
  '-nostdin',
  '-loglevel',
  'error',
  '-y',
  ...videoInputArgs(o.input, o.videoStreamIndex),
  '-c',
  'copy',
  '-f',
  'segment',
  '-segment_time',
  String(o.seconds),
  '-segment_format',
  'matroska',
  '-segment_list',
  o.listPath,
  '-segment_list_type',
  'csv',
  o.pattern,
];

export interface SegmentCut {
  /** The segment's file name, as the muxer wrote it. */
  readonly file: string;
  readonly startSec: number;
  readonly endSec: number;
}

/** The segment muxer's CSV list (`name,start,end` a line). */
export const parseSegmentList = (csv: string): SegmentCut[] =>
  csv
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const m = /^(.*),([-\d.]+),([-\d.]+)$/.exec(line.trim());
      if (!m) throw new Error(`unexpected line in ffmpeg's segment list: ${line}`);
      return { file: (m[1] as string).replace(/^"|"$/g, ''), startSec: Number(m[2]), endSec: Number(m[3]) };
    });

/** Quotes a path for an ffconcat list. */
const quote = (path: string): string => `'${path.replace(/'/g, "'\\''")}'`;

/**
 * The concat demuxer's list. The demuxer moves each file to start where the previous one ended (its
 * `duration`) and, by default, the first to zero. The first file's `inpoint 0` keeps its own timestamps, and
 * each duration runs from that file's start (0 for the first) to the next one's, so every frame keeps the
 * input's timestamp, as in a plain run, continuous across every seam.
 */
export const concatList = (files: readonly { readonly path: string; readonly startSec: number }[]): string => {
  const lines = ['ffconcat version 1.0'];
  files.forEach((f, i) => {
    lines.push(`file ${quote(f.path)}`);
    if (i === 0) lines.push('inpoint 0');
    const next = files[i + 1];
    if (next) lines.push(`duration ${(next.startSec - (i === 0 ? 0 : f.startSec)).toFixed(6)}`);
  });
  return `${lines.join('\n')}\n`;
};

/** ffprobe arguments that count the packets of the first video stream without decoding. */
export const countPacketsArgs = (path: string): string[] => [
  '-v',
  'error',
  '-select_streams',
  'v:0',
  '-count_packets',
  '-show_entries',
  'stream=nb_read_packets',
  '-of',
  'json',
  path,
];

/** What ffprobe says about a file: streams, format, chapters, frame counts and per-frame timestamps. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FFPROBE } from './clips.js';

const execFileAsync = promisify(execFile);

export interface ProbedStream {
  index: number;
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  duration?: string;
  start_time?: string;
  nb_read_frames?: string;
  /** The container's own frame count, where it keeps one. */
  nb_frames?: string;
  color_space?: string;
  color_primaries?: string;
  color_transfer?: string;
  color_range?: string;
  tags?: Record<string, string>;
  field_order?: string;
  /** Frames the decoder must hold to reorder (B-frames): 0 for a stream without them. */
  has_b_frames?: number;
  /** The display matrix's rotation among others. */
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

export interface Probed {
  streams: ProbedStream[];
  format: { format_name: string; duration?: string; start_time?: string; tags?: Record<string, string> };
  chapters: { start_time: string; end_time: string; tags?: Record<string, string> }[];
}

const ffprobeJson = async <T>(args: readonly string[]): Promise<T> => {
  const { stdout } = await execFileAsync(FFPROBE, ['-v', 'error', '-of', 'json', ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  return JSON.parse(stdout) as T;
};

/** Streams, format and chapters; with `countFrames`, each stream's nb_read_frames is filled by decoding. */
export const probe = async (path: string, { countFrames = false } = {}): Promise<Probed> => {
  const json = await ffprobeJson<Partial<Probed>>([
    ...(countFrames ? ['-count_frames'] : []),
    '-show_streams',
    '-show_format',
    '-show_chapters',
    path,
  ]);
  return { streams: json.streams ?? [], format: json.format ?? { format_name: '' }, chapters: json.chapters ?? [] };
};

export const streamsOf = (p: Probed, type: string): ProbedStream[] => p.streams.filter((s) => s.codec_type === type);

export const videoOf = (p: Probed): ProbedStream => {
  const v = streamsOf(p, 'video')[0];
  if (!v) throw new Error('no video stream');
  return v;
};

/** Frames of the first video stream, decoded and counted by ffprobe. */
export const countVideoFrames = async (path: string): Promise<number> => {
  const json = await ffprobeJson<{ streams?: { nb_read_frames?: string }[] }>([
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    path,
  ]);
  return Number(json.streams?.[0]?.nb_read_frames ?? NaN);
};

/** Presentation times (seconds) of every decoded frame of the first video stream, in presentation order. */
export const framePtsSeconds = async (path: string): Promise<number[]> => {
  const json = await ffprobeJson<{ frames?: { pts_time?: string; best_effort_timestamp_time?: string }[] }>([
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=pts_time,best_effort_timestamp_time',
    path,
  ]);
  return (json.frames ?? []).map((f) => Number(f.pts_time ?? f.best_effort_timestamp_time ?? NaN)).sort((a, b) => a - b);
};

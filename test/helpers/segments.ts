/** For the segmented-job tests: a clip with every kind of stream, decoded-frame digests, and a stream summary. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FFMPEG, ffmpeg, type TempDir } from './clips.js';
import { probe } from './probe.js';

const execFileAsync = promisify(execFile);

const SRT = `1
00:00:00,500 --> 00:00:01,500
Hello

2
00:00:02,500 --> 00:00:03,500
World
`;

const FFMETADATA = `;FFMETADATA1
title=Segments test clip

[CHAPTER]
TIMEBASE=1/1000
START=0
END=2000
title=One

[CHAPTER]
TIMEBASE=1/1000
START=2000
END=4000
title=Two
`;

/**
 * 4 s at 25 fps (100 frames), a keyframe every 10 frames, with AAC audio, a SubRip subtitle, two chapters,
 * a title and BT.709 colour tags, in Matroska.
 */
export const makeRichClip = async (tmp: TempDir, name = 'in.mkv', frames = 100): Promise<string> => {
  const path = tmp.file(name);
  const seconds = frames / 25;
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25'],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`],
    ...['-i', tmp.write('subs.srt', SRT)],
    ...['-f', 'ffmetadata', '-i', tmp.write('meta.txt', FFMETADATA)],
    ...['-map', '0:v', '-map', '1:a', '-map', '2:s', '-map_metadata', '3', '-map_chapters', '3'],
    ...['-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p'],
    ...['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'],
    ...['-c:a', 'aac', '-c:s', 'srt', path],
  ]);
  return path;
};

/** One line per decoded frame (per packet with `copy`) of the selected streams: timestamps and an MD5 of the data. */
export const frameDigests = async (path: string, map: string, copy = false): Promise<string[]> => {
  const { stdout } = await execFileAsync(
    FFMPEG,
    ['-v', 'error', '-i', path, '-map', map, ...(copy ? ['-c', 'copy'] : []), '-f', 'framemd5', '-'],
    {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    },
  );
  return stdout.split('\n').filter((l) => l && !l.startsWith('#'));
};

/** What a viewer would call the output's streams: kinds, codecs, sizes, colour tags, chapters and the title. */
export const streamSummary = async (path: string): Promise<unknown> => {
  const p = await probe(path);
  return {
    streams: p.streams.map((s) => ({
      type: s.codec_type,
      codec: s.codec_name,
      size: s.width ? `${s.width}x${s.height}` : null,
      pixFmt: s.pix_fmt ?? null,
      color: [s.color_space, s.color_primaries, s.color_transfer, s.color_range].join('/'),
    })),
    chapters: p.chapters.map((c) => [c.start_time, c.end_time, c.tags?.title]),
    title: p.format.tags?.title ?? p.format.tags?.TITLE ?? null,
  };
};

/** The journal of a job, or null. */
export const readJobJournal = (workDir: string): { segments: { done: boolean }[] | null } | null =>
  existsSync(join(workDir, 'journal.json'))
    ? (JSON.parse(readFileSync(join(workDir, 'journal.json'), 'utf8')) as { segments: { done: boolean }[] | null })
    : null;

export const doneSegments = (workDir: string): number => readJobJournal(workDir)?.segments?.filter((s) => s.done).length ?? 0;

/** Polls `test` every 20 ms until it holds; rejects after `timeoutMs`. */
export const waitFor = async (what: string, test: () => boolean, timeoutMs = 60_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Names in a folder containing `part`, or none when it is missing. */
export const filesWith = (dir: string, part: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => n.includes(part)) : []);

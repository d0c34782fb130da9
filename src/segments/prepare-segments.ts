/**
 * The first steps of a segmented job: the journal (made, or checked against this input and these options),
 * the cut (the input's video stream into keyframe-aligned segments, once), and which segments are already
 * done (their upscaled file complete, every frame counted).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, JobError } from '../errors.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { countVideoPackets, runFfmpeg } from '../ffmpeg/run-tool.js';
import { cutArgs, parseSegmentList } from '../ffmpeg/segment-args.js';
import { checkJournal, inputKey, markDone, readJournal, urlInputKey, writeJournal, type Journal, type OptionsKey } from './journal.js';
import { isUrl } from '../ffmpeg/protocols.js';
import { CUT_DIR, ensureWorkDir, removePartials, sourceName, upscaledName } from './work-dir.js';
import type { VideoInfo } from '../pipeline/ports.js';

export interface SegmentStatus {
  readonly segments: number;
  /** Segments (and their frames) already done and verified when this run started. */
  readonly done: number;
  readonly framesDone: number;
  readonly totalFrames: number;
}

export interface PreparedJob {
  readonly journal: Journal;
  /** A short hash of the journal's key: the queue's job ids. */
  readonly key: string;
  readonly totalFrames: number;
  readonly status: SegmentStatus;
}

/** Opens the job's journal, or starts one; a journal for another input or other options is refused. */
export const openJournal = async (
  dir: string,
  input: string,
  options: OptionsKey,
  signal?: AbortSignal,
): Promise<{ journal: Journal; key: string }> => {
  const ik = isUrl(input) ? await urlInputKey(input, signal) : inputKey(input);
  ensureWorkDir(dir);
  removePartials(dir);
  const found = readJournal(dir);
  if (found) checkJournal(dir, found, ik, options);
  const journal = found ?? { version: 1 as const, input: ik, options, segments: null };
  if (!found) writeJournal(dir, journal);
  const key = createHash('sha256')
    .update(JSON.stringify([journal.input, journal.options]))
    .digest('hex')
    .slice(0, 16);
  return { journal, key };
};

/** Cuts the input's video stream at keyframes (stream copy), counts each segment's frames, records them. */
const cut = async (dir: string, journal: Journal, info: VideoInfo, tools: FfmpegTools, seconds: number, signal?: AbortSignal) => {
  const cutDir = join(dir, CUT_DIR);
  rmSync(cutDir, { recursive: true, force: true }); // a cut that was interrupted is made again
  ensureWorkDir(cutDir);
  const listPath = join(cutDir, 'list.csv');
  await runFfmpeg(
    tools.ffmpeg,
    cutArgs({ input: info.source, videoStreamIndex: info.videoStreamIndex, seconds, pattern: join(cutDir, 'src-%05d.mkv'), listPath }),
    { what: `cutting ${info.source} into segments`, error: InputError, ...(signal ? { signal } : {}) },
  );
  const cuts = parseSegmentList(readFileSync(listPath, 'utf8'));
  const segments = [];
  for (const [index, c] of cuts.entries()) {
    const source = sourceName(index);
    if (`${CUT_DIR}/${c.file}` !== source) throw new JobError(`ffmpeg named segment ${index} ${c.file}, not ${source}`);
    const frames = await countVideoPackets(tools.ffprobe, join(dir, source));
    segments.push({ index, source, output: upscaledName(index), startSec: c.startSec, endSec: c.endSec, frames, done: false });
  }
  if (segments.length === 0 || segments.every((s) => s.frames === 0)) throw new InputError(`${info.source}: no video frames to cut`);
  const next: Journal = { ...journal, segments };
  writeJournal(dir, next);
  return next;
};

/** Whether an upscaled segment is complete: there, with as many frames as its cut. */
export const verifySegment = async (dir: string, s: { output: string; frames: number }, ffprobe: string): Promise<boolean> => {
  const path = join(dir, s.output);
  if (!existsSync(path)) return false;
  try {
    return (await countVideoPackets(ffprobe, path)) === s.frames;
  } catch {
    return false; // unreadable: half a file that a crash left behind, done again
  }
};

/** Cuts the input once, then checks every upscaled segment against the journal: what is done, and how much. */
export const prepareSegments = async (
  dir: string,
  opened: { journal: Journal; key: string },
  info: VideoInfo,
  tools: FfmpegTools,
  seconds: number,
  signal?: AbortSignal,
): Promise<PreparedJob> => {
  let journal = opened.journal.segments ? opened.journal : await cut(dir, opened.journal, info, tools, seconds, signal);
  // An upscaled segment renamed into place just before a crash, before the journal said so, still counts once verified;
  // one the journal calls done but that is gone or short is done again.
  for (const s of journal.segments ?? []) {
    const ok = await verifySegment(dir, s, tools.ffprobe);
    if (ok !== s.done)
      journal = ok
        ? markDone(journal, s.index)
        : { ...journal, segments: (journal.segments ?? []).map((x) => (x.index === s.index ? { ...x, done: false } : x)) };
  }
  writeJournal(dir, journal);
  const segments = journal.segments ?? [];
  const done = segments.filter((s) => s.done);
  const totalFrames = segments.reduce((n, s) => n + s.frames, 0);
  const status = { segments: segments.length, done: done.length, framesDone: done.reduce((n, s) => n + s.frames, 0), totalFrames };
  return { journal, key: opened.key, totalFrames, status };
};

/**
 * One-shot runs whose stdout is the answer, on top of runJob (ffmpeg-job.ts): ffprobe's JSON, and short
 * informational runs (`-version`, `-protocols`, `-encoders`). Each failure is worded in its own terms.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import { failureWords } from './child-state.js';
import { runJob } from './ffmpeg-job.js';

/** ffprobe reads a file whose declared picture size libavcodec refuses, and says so only on stderr. */
const checkPictureSize = (stderr: string, source: string): void => {
  const m = /Picture size (\d+x\d+) is invalid/.exec(stderr);
  if (m) throw new InputError(`${source}: its video declares a picture size of ${m[1]}, too large for ffmpeg to decode`);
};

/** The boxes an MP4/MOV file may start with. */
const MP4_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot', 'uuid', 'styp', 'sidx', 'moof']);

/** Whether a local file starts with an MP4/MOV box (ffmpeg picks its MP4 reader by the name alone); true when it cannot tell. */
const startsLikeMp4 = (path: string): boolean => {
  try {
    const fd = openSync(path, 'r');
    const head = Buffer.alloc(8);
    try {
      readSync(fd, head, 0, 8, 0);
    } finally {
      closeSync(fd);
    }
    return MP4_FIRST_BOXES.has(head.toString('latin1', 4, 8));
  } catch {
    return true; // a URL, or unreadable: ffprobe's word stands
  }
};

/**
 * Runs ffprobe and returns its parsed JSON; an InputError names what ffprobe said. `signal` stops it (a probe
 * can wait on a slow file or a pipe that never fills): ffprobe is killed and an AbortedError thrown.
 */
export const runFfprobe = async (ffprobe: string, args: string[], source: string, signal?: AbortSignal): Promise<unknown> => {
  // A generous tail: the line that says why can come before others.
  const { state, stdout, stderrTail } = await runJob(ffprobe, args, {
    stdoutBytes: 64 * 1024 * 1024,
    tailChars: 64 * 1024,
    ...(signal ? { signal } : {}),
  });
  if (state.kind === 'exited-error') {
    if (state.spawnError === 'ENOENT') throw new InputError(`cannot run ffprobe at ${ffprobe}: not found`);
    // ffprobe's last line is often a generic "Invalid data found"; the line before it says why.
    if (/moov atom not found/.test(stderrTail)) {
      if (!startsLikeMp4(source)) {
        throw new InputError(`${source} is not a video file: ffmpeg took it for an MP4 by its name, but its content is not one`);
      }
      throw new InputError(`${source}: the file is truncated or unfinished: its index (the mp4 moov atom) is missing`);
    }
    checkPictureSize(stderrTail, source);
    throw new InputError(`${source}: cannot read it as a video (ffprobe: ${failureWords(state, 1)})`);
  }
  checkPictureSize(stderrTail, source);
  try {
    return JSON.parse(stdout) as unknown;
  } catch (err) {
    throw new InputError(`${source}: cannot read it as a video (ffprobe: ${(err as Error).message})`);
  }
};

/** A short informational run (`-version`, `-protocols`, `-encoders`): its stdout, or null if it does not run. */
export const readToolOutput = async (binary: string, args: string[]): Promise<string | null> => {
  const { state, stdout } = await runJob(binary, ['-hide_banner', ...args], { timeoutMs: 15_000, stdoutBytes: 8 * 1024 * 1024 });
  return state.kind === 'exited-ok' ? stdout : null;
};

const asked = new Map<string, Promise<string | null>>();

/**
 * readToolOutput for a list that does not change while srvid runs (`-encoders`): asked once per binary and
 * remembered, so a caller may ask early, beside other checks, and the one that needs it awaits the same run.
 * A run that failed is not remembered: a worker that lives for many jobs asks again on the next one.
 */
export const readToolListOnce = (binary: string, arg: '-encoders'): Promise<string | null> => {
  const key = `${binary}\0${arg}`;
  let answer = asked.get(key);
  if (!answer) {
    answer = readToolOutput(binary, [arg]);
    asked.set(key, answer);
    void answer.then((text) => text === null && asked.delete(key));
  }
  return answer;
};

/** `<binary> -version`'s first line (or all of it with `full`), or null if it does not run. */
export const readVersionLine = async (binary: string, full = false): Promise<string | null> => {
  const stdout = await readToolOutput(binary, ['-version']);
  return stdout === null ? null : full ? stdout : (stdout.split('\n')[0] ?? null);
};

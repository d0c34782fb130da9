/** The ingest side's processes: ffprobe, `ffmpeg -version`, and the decoder. The only ingest module that spawns. */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { AbortedError, InputError, tailLines } from '../errors.js';
import { watchChild, type WatchedChild } from './child-state.js';

const execFileAsync = promisify(execFile);

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
  try {
    const { stdout, stderr } = await execFileAsync(ffprobe, args, { maxBuffer: 64 * 1024 * 1024, ...(signal ? { signal } : {}) });
    checkPictureSize(stderr, source);
    return JSON.parse(stdout) as unknown;
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (signal?.aborted) throw new AbortedError();
    const e = err as { stderr?: string; code?: string | number; message: string };
    if (e.code === 'ENOENT') throw new InputError(`cannot run ffprobe at ${ffprobe}: not found`);
    const stderr = e.stderr ?? '';
    // ffprobe's last line is often a generic "Invalid data found"; the line before it says why.
    if (/moov atom not found/.test(stderr)) {
      if (!startsLikeMp4(source)) {
        throw new InputError(`${source} is not a video file: ffmpeg took it for an MP4 by its name, but its content is not one`);
      }
      throw new InputError(`${source}: the file is truncated or unfinished: its index (the mp4 moov atom) is missing`);
    }
    checkPictureSize(stderr, source);
    const why = tailLines(stderr, 1) || e.message;
    throw new InputError(`${source}: cannot read it as a video (ffprobe: ${why})`);
  }
};

/** A short informational run (`-version`, `-protocols`, `-encoders`): its stdout, or null if it does not run. */
export const readToolOutput = async (binary: string, args: string[]): Promise<string | null> => {
  try {
    const { stdout } = await execFileAsync(binary, ['-hide_banner', ...args], { timeout: 15000, maxBuffer: 8 * 1024 * 1024 });
    return stdout;
  } catch {
    return null;
  }
};

/** `<binary> -version`'s first line (or all of it with `full`), or null if it does not run. */
export const readVersionLine = async (binary: string, full = false): Promise<string | null> => {
  const stdout = await readToolOutput(binary, ['-version']);
  return stdout === null ? null : full ? stdout : (stdout.split('\n')[0] ?? null);
};

/**
 * Starts the decoder; stdout carries the frames, stderr is kept as a tail for messages. With `stdin`, that
 * stream is piped into the decoder (srvid's own stdin, for `-`): the decoder is then its only reader.
 */
export const spawnDecoder = (ffmpeg: string, args: string[], stdin?: NodeJS.ReadableStream): WatchedChild => {
  const child = spawn(ffmpeg, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  if (stdin && child.stdin) {
    child.stdin.on('error', () => {}); // EPIPE once the decoder has exited; its exit status says why
    stdin.pipe(child.stdin);
    void watchChildExit(child).then(() => stdin.unpipe(child.stdin ?? undefined));
  }
  return watchChild(child);
};

const watchChildExit = (child: ReturnType<typeof spawn>): Promise<void> => new Promise((resolve) => child.once('close', () => resolve()));

/** The ingest side's processes: ffprobe, `ffmpeg -version`, and the decoder. The only ingest module that spawns. */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError, tailLines } from '../errors.js';
import { watchChild, type WatchedChild } from './child-state.js';

const execFileAsync = promisify(execFile);

/** Runs ffprobe and returns its parsed JSON; an InputError names what ffprobe said. */
export const runFfprobe = async (ffprobe: string, args: string[], source: string): Promise<unknown> => {
  try {
    const { stdout } = await execFileAsync(ffprobe, args, { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as unknown;
  } catch (err) {
    const e = err as { stderr?: string; code?: string | number; message: string };
    if (e.code === 'ENOENT') throw new InputError(`cannot run ffprobe at ${ffprobe}: not found`);
    const why = tailLines(e.stderr ?? '', 1) || e.message;
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

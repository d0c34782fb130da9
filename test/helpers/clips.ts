/** Tiny test clips made with ffmpeg's lavfi sources, each in a fresh temporary folder. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const FFMPEG = process.env.SRVID_FFMPEG ?? 'ffmpeg';
export const FFPROBE = process.env.SRVID_FFPROBE ?? 'ffprobe';

/** A fresh folder under os.tmpdir(); `remove()` deletes it and everything in it. */
export interface TempDir {
  readonly path: string;
  readonly file: (name: string) => string;
  readonly write: (name: string, text: string) => string;
  readonly remove: () => void;
}

export const makeTempDir = (label: string): TempDir => {
  const path = mkdtempSync(join(tmpdir(), `srvid-e2e-${label}-`));
  return {
    path,
    file: (name) => join(path, name),
    write: (name, text) => {
      const p = join(path, name);
      writeFileSync(p, text);
      return p;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
};

/** Runs ffmpeg (quiet, overwrite) and rejects with its stderr if it fails or runs past `timeoutMs`. */
export const ffmpeg = async (args: readonly string[], timeoutMs = 60_000): Promise<void> => {
  try {
    await execFileAsync(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ffmpeg ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
};

/** ffmpeg with raw output on stdout (e.g. `-f rawvideo -pix_fmt gray -`), as a Buffer. */
export const ffmpegStdout = async (args: readonly string[]): Promise<Buffer> => {
  const { stdout } = await execFileAsync(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], {
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  return stdout;
};

export interface ClipOptions {
  readonly width?: number;
  readonly height?: number;
  readonly frames?: number;
  readonly rate?: number;
  /** Add a sine audio track (AAC) of the same duration. */
  readonly audio?: boolean;
  readonly pixFmt?: string;
  readonly codec?: string;
  /** Extra output options placed before the output path. */
  readonly extra?: readonly string[];
}

/** A testsrc2 clip (h264 by default) written to `path`. */
export const makeClip = async (path: string, o: ClipOptions = {}): Promise<string> => {
  const { width = 96, height = 64, frames = 20, rate = 25, audio = false, pixFmt = 'yuv420p', codec = 'libx264' } = o;
  const seconds = frames / rate;
  const args = ['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${rate}`];
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`);
  args.push('-map', '0:v', ...(audio ? ['-map', '1:a', '-c:a', 'aac'] : []));
  args.push('-frames:v', String(frames), '-c:v', codec, '-pix_fmt', pixFmt);
  if (codec === 'libx264') args.push('-preset', 'ultrafast');
  args.push(...(o.extra ?? []), path);
  await ffmpeg(args);
  return path;
};

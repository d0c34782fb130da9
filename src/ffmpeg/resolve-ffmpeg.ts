/**
 * Which ffmpeg and ffprobe to run: `--ffmpeg`/`SRVID_FFMPEG` (and `--ffprobe`/`SRVID_FFPROBE`), then a system
 * build ≥ 5 on PATH, then the builds bundled by @ffmpeg-installer/@ffprobe-installer, so a plain
 * `npm install` is enough.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { FfmpegNotFoundError } from '../errors.js';
import { readToolListOnce, readVersionLine } from './read-tool.js';

export interface FfmpegTools {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** ffmpeg's major version (from libavutil's when the build has no release number). */
  readonly major: number;
  readonly versionLine: string;
  readonly origin: 'option' | 'environment' | 'system' | 'bundled';
}

export interface ResolveOptions {
  readonly ffmpeg?: string | undefined;
  readonly ffprobe?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/** libavutil major → ffmpeg major, for git builds whose version line has no release number. */
const AVUTIL_TO_FFMPEG: Record<number, number> = { 55: 3, 56: 4, 57: 5, 58: 6, 59: 7, 60: 8 };

/** Major version from `ffmpeg -version` output. Pure. */
export const parseFfmpegMajor = (versionOutput: string): number | null => {
  const release = /version n?(\d+)\.\d+/i.exec(versionOutput);
  if (release) return Number(release[1]);
  const avutil = /libavutil\s+(\d+)\./.exec(versionOutput);
  return avutil ? (AVUTIL_TO_FFMPEG[Number(avutil[1])] ?? null) : null;
};

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const onPath = (name: string, env: NodeJS.ProcessEnv): string | null => {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return null;
};

const bundled = (pkg: string): string | null => {
  try {
    const require = createRequire(import.meta.url);
    const mod = require(pkg) as { path?: string };
    return mod.path && executable(mod.path) ? mod.path : null;
  } catch {
    return null; // unsupported platform or not installed
  }
};

const versionOf = async (binary: string): Promise<{ line: string; major: number } | null> => {
  // Its encoder list, which a run checks next, is asked at the same time: one ffmpeg start less before a live
  // input's decoder can start (a third of a second on two busy cores), at the cost of a list not always read.
  void readToolListOnce(binary, '-encoders');
  const full = await readVersionLine(binary, true);
  if (!full) return null;
  return { line: full.split('\n')[0] ?? full, major: parseFfmpegMajor(full) ?? 0 };
};

export const resolveFfmpeg = async ({ ffmpeg, ffprobe, env = process.env }: ResolveOptions = {}): Promise<FfmpegTools> => {
  const explicit = ffmpeg ?? env.SRVID_FFMPEG;
  const explicitProbe = ffprobe ?? env.SRVID_FFPROBE;
  if (explicit) {
    const v = await versionOf(explicit);
    if (!v)
      throw new FfmpegNotFoundError(`cannot run ffmpeg at ${explicit}; check the path given by ${ffmpeg ? '--ffmpeg' : 'SRVID_FFMPEG'}`);
    const sibling = join(dirname(explicit), 'ffprobe');
    const probe = explicitProbe ?? (executable(sibling) ? sibling : (onPath('ffprobe', env) ?? bundled('@ffprobe-installer/ffprobe')));
    if (!probe) throw new FfmpegNotFoundError('no ffprobe found beside the given ffmpeg; pass --ffprobe PATH');
    return { ffmpeg: explicit, ffprobe: probe, major: v.major, versionLine: v.line, origin: ffmpeg ? 'option' : 'environment' };
  }
  const system = onPath('ffmpeg', env);
  const systemProbe = onPath('ffprobe', env);
  if (system && systemProbe) {
    const v = await versionOf(system);
    if (v && v.major >= 5) {
      return { ffmpeg: system, ffprobe: explicitProbe ?? systemProbe, major: v.major, versionLine: v.line, origin: 'system' };
    }
  }
  const pack = bundled('@ffmpeg-installer/ffmpeg');
  const packProbe = explicitProbe ?? bundled('@ffprobe-installer/ffprobe');
  if (pack && packProbe) {
    const v = await versionOf(pack);
    if (v) return { ffmpeg: pack, ffprobe: packProbe, major: v.major, versionLine: v.line, origin: 'bundled' };
  }
  throw new FfmpegNotFoundError(
    'no usable ffmpeg: install ffmpeg ≥ 5 (e.g. apt-get install ffmpeg), reinstall srvid so its bundled ffmpeg is present, or pass --ffmpeg PATH',
  );
};

/**
 * Encoders: which video encoders the resolved ffmpeg has, so that a `--codec` it lacks is refused before any
 * process reads the input, as an output path is, rather than when the encoder starts after decoding has.
 */
import { UsageError } from '../errors.js';
import type { FfmpegTools } from './resolve-ffmpeg.js';
import { readToolListOnce } from './read-tool.js';

/** `ffmpeg -encoders` output → the names of its video encoders. Pure. */
export const parseVideoEncoders = (text: string): Set<string> => {
  const names = new Set<string>();
  let listed = false; // the legend comes first, then a line of dashes
  for (const line of text.split('\n')) {
    if (/^\s*-{3,}\s*$/.test(line)) listed = true;
    const m = listed ? /^\s*V[A-Z.]{5}\s+(\S+)/.exec(line) : null;
    if (m) names.add(m[1] as string);
  }
  return names;
};

/** Refuses a video encoder this ffmpeg lacks, naming it and how to see what it has. */
export const checkVideoEncoder = async (tools: FfmpegTools, codec: string): Promise<void> => {
  const text = await readToolListOnce(tools.ffmpeg, '-encoders'); // asked already by resolveFfmpeg, beside -version
  if (text === null) return; // ffmpeg itself will say what is wrong
  const encoders = parseVideoEncoders(text);
  if (encoders.has(codec)) return;
  const usual = ['libx264', 'libx265', 'libvpx-vp9', 'libaom-av1', 'libsvtav1'].filter((e) => encoders.has(e));
  throw new UsageError(
    `--codec ${codec}: ${tools.ffmpeg} (ffmpeg ${tools.major}, ${tools.origin}) has no video encoder of that name; ` +
      `${usual.length ? `it has ${usual.join(', ')}, and ` : ''}ffmpeg -encoders lists them all`,
  );
};

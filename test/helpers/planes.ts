/** Decoded planes of a video, read through ffmpeg's rawvideo output, for PSNR checks. */
import { ffmpegStdout } from './clips.js';

export interface DecodedPlanes {
  readonly width: number;
  readonly height: number;
  /** Per frame: Y, U, V (4:2:0, chroma sizes rounded up), 8-bit in Uint8Array or 16-bit samples in Uint16Array. */
  readonly frames: [Uint8Array | Uint16Array, Uint8Array | Uint16Array, Uint8Array | Uint16Array][];
}

/**
 * Decodes `path` to yuv420p (or yuv420p10le with `tenBit`), optionally after `vf` (e.g. a bicubic scale or a crop),
 * and splits every frame into its planes.
 */
export const decodePlanes = async (
  path: string,
  width: number,
  height: number,
  { tenBit = false, vf }: { tenBit?: boolean; vf?: string } = {},
): Promise<DecodedPlanes> => {
  const raw = await ffmpegStdout([
    '-i',
    path,
    ...(vf ? ['-vf', vf] : []),
    '-f',
    'rawvideo',
    '-pix_fmt',
    tenBit ? 'yuv420p10le' : 'yuv420p',
    '-',
  ]);
  const bps = tenBit ? 2 : 1;
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const sizes = [width * height, cw * ch, cw * ch];
  const frameBytes = sizes.reduce((a, b) => a + b, 0) * bps;
  if (raw.length % frameBytes !== 0) throw new Error(`${path}: ${raw.length} bytes is not a whole number of ${width}x${height} frames`);
  const frames: DecodedPlanes['frames'] = [];
  // Copy into a fresh buffer so 16-bit views are aligned.
  const bytes = new Uint8Array(raw.length);
  bytes.set(raw);
  for (let off = 0; off < bytes.length; off += frameBytes) {
    let p = off;
    const planes = sizes.map((n) => {
      const view = tenBit ? new Uint16Array(bytes.buffer, p, n) : bytes.subarray(p, p + n);
      p += n * bps;
      return view;
    });
    frames.push(planes as DecodedPlanes['frames'][number]);
  }
  return { width, height, frames };
};

/** Decodes only the luma plane as 8-bit gray (`-pix_fmt gray`), frame by frame. */
export const decodeGray = async (
  path: string,
  width: number,
  height: number,
  vf?: string,
  { passthrough = false } = {},
): Promise<Uint8Array[]> => {
  // passthrough: one frame per decoded frame, a gap in the timestamps left a gap (not filled by a repeat)
  const sync = passthrough ? ['-vsync', 'passthrough'] : [];
  const raw = await ffmpegStdout(['-i', path, ...sync, ...(vf ? ['-vf', vf] : []), '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  const n = width * height;
  if (raw.length % n !== 0) throw new Error(`${path}: ${raw.length} bytes is not a whole number of ${width}x${height} gray frames`);
  const frames: Uint8Array[] = [];
  for (let off = 0; off < raw.length; off += n) frames.push(new Uint8Array(raw.subarray(off, off + n)));
  return frames;
};

/**
 * The luma samples exactly as stored (`extractplanes=y`, no range or matrix conversion), after an optional `vf`;
 * 16-bit samples for a 10-bit source with `tenBit`.
 */
export const decodeLumaAsStored = async (
  path: string,
  width: number,
  height: number,
  { tenBit = false, vf }: { tenBit?: boolean; vf?: string } = {},
): Promise<(Uint8Array | Uint16Array)[]> => {
  const chain = [vf, 'extractplanes=y'].filter(Boolean).join(',');
  const raw = await ffmpegStdout(['-i', path, '-vf', chain, '-f', 'rawvideo', '-pix_fmt', tenBit ? 'gray10le' : 'gray', '-']);
  const bps = tenBit ? 2 : 1;
  const n = width * height;
  if (raw.length % (n * bps) !== 0) throw new Error(`${path}: ${raw.length} bytes is not a whole number of ${width}x${height} planes`);
  const bytes = new Uint8Array(raw.length);
  bytes.set(raw);
  const frames: (Uint8Array | Uint16Array)[] = [];
  for (let off = 0; off < bytes.length; off += n * bps) {
    frames.push(tenBit ? new Uint16Array(bytes.buffer, off, n) : bytes.subarray(off, off + n));
  }
  return frames;
};

/** Mean of all samples of all frames. */
export const meanSample = (frames: readonly ArrayLike<number>[]): number => {
  let sum = 0;
  let count = 0;
  for (const f of frames) {
    for (let i = 0; i < f.length; i++) sum += f[i] as number;
    count += f.length;
  }
  return sum / count;
};

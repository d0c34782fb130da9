/** `srvid doctor`: which ffmpeg/ffprobe srvid resolves and what they can do, and which backends load and why not. */
import { createRequire } from 'node:module';
import { resolveFfmpeg, parseFfmpegMajor, type FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { readToolOutput } from '../ffmpeg/read-tool.js';
import { defaultModel, findModel } from '../models/registry.js';
import { CANDIDATES, candidatesFor, hasGpuDevice } from '../models/select-backend.js';

export interface BackendStatus {
  readonly id: string;
  readonly device: 'cpu' | 'gpu';
  readonly ok: boolean;
  /**
   * Whether doctor loaded it. GPU candidates are left untried where no GPU device node exists (they cannot work
   * there, and Dawn/Vulkan prints driver noise on stderr) unless `verbose`; then `ok` is false and `reason` says so.
   */
  readonly tried: boolean;
  /** Milliseconds for one x2 forward on a 64×64 plane (after a warm-up run), when it loads. */
  readonly ms?: number;
  readonly reason?: string;
}

export interface DoctorReport {
  readonly ffmpeg:
    | (FfmpegTools & { protocols: Record<string, boolean>; encoders: Record<string, boolean>; ffprobeVersion: string | null })
    | { error: string };
  readonly bundled: { ffmpeg: string | null; version: string | null };
  readonly backends: readonly BackendStatus[];
  /** What `--backend auto --device auto` picks. */
  readonly auto: string | null;
  /** Whether a GPU device node exists (/dev/nvidia0, /dev/dri/renderD*, …); `auto` tries GPUs only then. */
  readonly gpuDevice: boolean;
  /** Whether every candidate was tried, GPU ones included where no GPU device node exists. */
  readonly verbose: boolean;
}

export interface DiagnoseOptions {
  readonly ffmpeg?: string;
  readonly ffprobe?: string;
  /** Try GPU candidates even without a GPU device node (they may print driver noise on stderr). */
  readonly verbose?: boolean;
}

const NOT_TRIED_NO_GPU = 'no GPU device node; `srvid doctor --verbose` tries anyway';

const PROTOCOLS = ['file', 'pipe', 'http', 'https', 'tcp', 'udp', 'rtmp', 'srt', 'hls'];
const ENCODERS = ['libx264', 'libx265', 'libvpx-vp9', 'libaom-av1', 'libsvtav1'];

const words = (text: string | null): Set<string> => new Set((text ?? '').split(/\s+/).filter(Boolean));

const probeBackend = async (id: string): Promise<BackendStatus> => {
  const c = CANDIDATES.find((x) => x.id === id)!;
  const entry = findModel(defaultModel(2), 2);
  try {
    const model = await c.load({ path: entry.path, name: entry.name, scale: 2, threads: 0 });
    try {
      const plane = new Float32Array(64 * 64).fill(0.5);
      await model.run(plane, 64, 64);
      const t0 = performance.now();
      await model.run(plane, 64, 64);
      return { id, device: c.device, ok: true, tried: true, ms: performance.now() - t0 };
    } finally {
      await model.dispose();
    }
  } catch (err) {
    return { id, device: c.device, ok: false, tried: true, reason: (err as Error).message };
  }
};

export const diagnose = async (o: DiagnoseOptions = {}): Promise<DoctorReport> => {
  const verbose = o.verbose ?? false;
  let ffmpeg: DoctorReport['ffmpeg'];
  try {
    const tools = await resolveFfmpeg(o);
    const [protocols, encoders, probeVersion] = await Promise.all([
      readToolOutput(tools.ffmpeg, ['-protocols']),
      readToolOutput(tools.ffmpeg, ['-encoders']),
      readToolOutput(tools.ffprobe, ['-version']),
    ]);
    const p = words(protocols);
    const e = words(encoders);
    ffmpeg = {
      ...tools,
      protocols: Object.fromEntries(PROTOCOLS.map((n) => [n, p.has(n)])),
      encoders: Object.fromEntries(ENCODERS.map((n) => [n, e.has(n)])),
      ffprobeVersion: probeVersion?.split('\n')[0] ?? null,
    };
  } catch (err) {
    ffmpeg = { error: (err as Error).message };
  }
  let bundledPath: string | null = null;
  try {
    bundledPath = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    bundledPath = null;
  }
  const bundledVersion = bundledPath ? await readToolOutput(bundledPath, ['-version']) : null;
  const gpu = hasGpuDevice();
  const backends: BackendStatus[] = [];
  for (const c of CANDIDATES) {
    if (c.device === 'gpu' && !gpu && !verbose)
      backends.push({ id: c.id, device: c.device, ok: false, tried: false, reason: NOT_TRIED_NO_GPU });
    else backends.push(await probeBackend(c.id)); // one at a time: they share the cores
  }
  const auto =
    candidatesFor('auto', 'auto').find((c) => (gpu || c.device === 'cpu') && backends.find((b) => b.id === c.id)?.ok)?.id ?? null;
  return {
    ffmpeg,
    bundled: {
      ffmpeg: bundledPath,
      version: bundledVersion ? `${bundledVersion.split('\n')[0]} (ffmpeg ${parseFfmpegMajor(bundledVersion) ?? '?'}.x)` : null,
    },
    backends,
    auto,
    gpuDevice: gpu,
    verbose,
  };
};

/** The progress line. Pure. */
import type { Progress, UpscalerRuntime } from '../pipeline/ports.js';

const clock = (sec: number): string => {
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
};

export const formatProgress = (p: Progress): string => {
  const total = p.totalFrames ? `/${p.totalFrames}` : '';
  const pct = p.totalFrames ? ` (${Math.min(100, (100 * p.frames) / p.totalFrames).toFixed(0)}%)` : '';
  const eta = p.etaSec !== null ? `  ETA ${clock(p.etaSec)}` : '';
  const live =
    p.latencyMs !== undefined ? `  lag ${Math.round(p.latencyMs)} ms  bicubic ${p.fallback ?? 0}  dropped ${p.dropped ?? 0}` : '';
  return `frame ${p.frames}${total}${pct}  ${p.fps.toFixed(1)} fps  elapsed ${clock(p.elapsedSec)}${eta}${live}`;
};

export const formatDuration = clock;

/** `onnxruntime-cpu, 2 workers × 1 thread`: what runs the network, for the progress line. */
export const formatRuntime = (r: UpscalerRuntime): string => {
  const plural = (n: number, word: string): string => `${n} ${word}${n > 1 ? 's' : ''}`;
  if (r.workers <= 1 && r.threadsPerWorker === null) return r.backend;
  return `${r.backend}, ${plural(r.workers, 'worker')}${r.threadsPerWorker === null ? '' : ` × ${plural(r.threadsPerWorker, 'thread')}`}`;
};

/**
 * The monitor's messages (schema version 1, documented in docs/monitor.md) and the run summary. Pure: the
 * server, the dashboard and `--report` all use these shapes.
 */
import type { FrameReport, MetricPair, QualityMode } from '../pipeline/ports.js';

export const SCHEMA_VERSION = 1;

export interface RunDescription {
  readonly input: string;
  readonly output: string;
  readonly inputSize: { readonly width: number; readonly height: number };
  /** The size the model works at (smaller than the input in `self` mode). */
  readonly modelInputSize: { readonly width: number; readonly height: number };
  readonly outputSize: { readonly width: number; readonly height: number };
  readonly scale: number;
  readonly model: string;
  readonly backend: string;
  /** null when no metric is computed. */
  readonly mode: QualityMode | null;
  /** What the metrics compare with, in words. */
  readonly reference: string | null;
  readonly crop: number;
  readonly frameRate: number | null;
  readonly totalFrames: number | null;
}

export interface HelloMessage extends RunDescription {
  readonly type: 'hello';
  readonly v: number;
  readonly metrics: { readonly psnr: string; readonly ssim: string };
}

export interface FrameMessage {
  readonly type: 'frame';
  readonly v: number;
  readonly index: number;
  readonly ptsMs: number | null;
  /** null when the frame has no ground truth (or no metric is computed). */
  readonly srvid: MetricPair | null;
  readonly bicubic: MetricPair | null;
  readonly fps: number;
  readonly latencyMs: number;
  readonly queueDepth: number;
  readonly dropped: number;
  readonly fallback: number;
}

export interface MetricStats {
  readonly mean: number | null;
  readonly min: number | null;
}

export interface SummaryMessage {
  readonly type: 'summary';
  readonly v: number;
  readonly status: 'finished' | 'failed';
  readonly error?: string;
  readonly frames: number;
  /** Frames with metrics (all of them, except reference frames that could not be matched). */
  readonly measured: number;
  readonly elapsedSec: number;
  readonly fps: number;
  readonly srvid: { readonly psnr: MetricStats; readonly ssim: MetricStats };
  readonly bicubic: { readonly psnr: MetricStats; readonly ssim: MetricStats };
  /** Mean milliseconds per frame of each quality step. */
  readonly costMs: { readonly bicubic: number; readonly resize: number; readonly psnr: number; readonly ssim: number } | null;
  readonly dropped: number;
  readonly fallback: number;
}

export interface PreviewMessage {
  readonly type: 'preview';
  readonly v: number;
  readonly index: number;
  readonly width: number;
  readonly height: number;
  /** data: URLs of JPEGs at the output size: plain bicubic upscaling of the model's input, and srvid. */
  readonly before: string;
  readonly after: string;
}

/** Sent to one client before its next message when its buffer overflowed. */
export interface DroppedMessage {
  readonly type: 'dropped';
  readonly v: number;
  /** Messages this client has missed in all. */
  readonly count: number;
}

export type MonitorMessage = HelloMessage | FrameMessage | SummaryMessage | PreviewMessage | DroppedMessage;

export const helloMessage = (run: RunDescription): HelloMessage => ({
  type: 'hello',
  v: SCHEMA_VERSION,
  ...run,
  metrics: { psnr: 'PSNR-Y in dB, peak 255 (1023 at 10 bits)', ssim: "SSIM-Y, 8x8 blocks as ffmpeg's ssim filter" },
});

/** JSON has no Infinity: the PSNR of identical planes (∞) is capped at 100 dB, as docs/monitor.md says. */
export const PSNR_CAP = 100;
const finite = (m: MetricPair): MetricPair => ({ psnr: Math.min(m.psnr, PSNR_CAP), ssim: m.ssim });

export const frameMessage = (r: FrameReport): FrameMessage => ({
  type: 'frame',
  v: SCHEMA_VERSION,
  index: r.index,
  ptsMs: r.ptsMs,
  srvid: r.quality ? finite(r.quality.srvid) : null,
  bicubic: r.quality ? finite(r.quality.bicubic) : null,
  fps: r.fps,
  latencyMs: r.latencyMs,
  queueDepth: r.queueDepth,
  dropped: r.dropped,
  fallback: r.fallback,
});

/** Accumulates frame reports into the summary (mean and min of each metric, mean cost of each step). */
export const createSummary = () => {
  const sums = { sp: 0, ss: 0, bp: 0, bs: 0 };
  const mins = { sp: Infinity, ss: Infinity, bp: Infinity, bs: Infinity };
  const cost = { bicubic: 0, resize: 0, psnr: 0, ssim: 0 };
  let frames = 0;
  let measured = 0;
  let dropped = 0;
  let fallback = 0;
  const add = (r: FrameReport): void => {
    frames++;
    dropped = r.dropped;
    fallback = r.fallback;
    if (!r.quality) return;
    measured++;
    const m = {
      sp: finite(r.quality.srvid).psnr,
      ss: r.quality.srvid.ssim,
      bp: finite(r.quality.bicubic).psnr,
      bs: r.quality.bicubic.ssim,
    };
    for (const k of Object.keys(m) as (keyof typeof m)[]) {
      sums[k] += m[k];
      mins[k] = Math.min(mins[k], m[k]);
    }
    for (const k of Object.keys(cost) as (keyof typeof cost)[]) cost[k] += r.quality.costMs[k];
  };
  const stats = (k: keyof typeof sums): MetricStats => (measured ? { mean: sums[k] / measured, min: mins[k] } : { mean: null, min: null });
  const message = (run: { elapsedSec: number; fps: number; error?: string }): SummaryMessage => ({
    type: 'summary',
    v: SCHEMA_VERSION,
    status: run.error === undefined ? 'finished' : 'failed',
    ...(run.error === undefined ? {} : { error: run.error }),
    frames,
    measured,
    elapsedSec: run.elapsedSec,
    fps: run.fps,
    srvid: { psnr: stats('sp'), ssim: stats('ss') },
    bicubic: { psnr: stats('bp'), ssim: stats('bs') },
    costMs: measured
      ? { bicubic: cost.bicubic / measured, resize: cost.resize / measured, psnr: cost.psnr / measured, ssim: cost.ssim / measured }
      : null,
    dropped,
    fallback,
  });
  return { add, message };
};

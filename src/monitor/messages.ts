/**
 * The monitor's messages (schema version 1, documented in docs/monitor.md) and the run summary. Pure: the
 * server, the dashboard and `--report` all use these shapes. Fields are only ever added within a version.
 */
import type { DetailEstimate, FrameReport, MetricPair, QualityMode } from '../pipeline/ports.js';

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
  /** `consistency` mode: every how many frames a detail estimate is made (the probe's `detailEvery`); null: never. */
  readonly detailEvery?: number | null;
  /** A live run (frames may be upscaled by bicubic or dropped to keep the lag bounded); absent or false: a file run. */
  readonly live?: boolean;
  /** A segmented run (`--resume`, `--queue`): its segments, and the queue's address (no password); absent: a plain run. */
  readonly segmented?: SegmentedRun;
}

export interface SegmentedRun {
  readonly segments: number;
  /** Segments already done and verified when this run started (a resumed job). */
  readonly doneBefore: number;
  readonly segmentSeconds: number;
  /** null: upscaled here, by this process. */
  readonly queue: string | null;
}

/** What one figure measures: a short label for a tile or a line, and the same in full. */
export interface FigureDescription {
  readonly label: string;
  readonly description: string;
}

export interface HelloMessage extends RunDescription {
  readonly type: 'hello';
  readonly v: number;
  readonly detailEvery: number | null;
  readonly metrics: { readonly psnr: string; readonly ssim: string };
  /**
   * What each figure measures, in words: `main` for the frame messages' `srvid`/`bicubic` pair, `detail` for
   * their `detail` pair (null when no frame gets one). null when no quality is computed.
   */
  readonly figures: { readonly main: FigureDescription; readonly detail: FigureDescription | null } | null;
}

export interface FrameMessage {
  readonly type: 'frame';
  readonly v: number;
  readonly index: number;
  readonly ptsMs: number | null;
  /** null when the frame has no ground truth (or no metric is computed). */
  readonly srvid: MetricPair | null;
  readonly bicubic: MetricPair | null;
  /** `consistency` mode, on every `detailEvery`-th frame: the detail estimate (absent on other frames). */
  readonly detail?: DetailEstimate;
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

/** The detail estimates of a run (consistency mode with a shadow), kept apart from the main figures. */
export interface DetailSummary {
  /** Frames that carried a detail estimate. */
  readonly frames: number;
  readonly srvid: { readonly psnr: MetricStats; readonly ssim: MetricStats };
  readonly bicubic: { readonly psnr: MetricStats; readonly ssim: MetricStats };
  /** Mean main-thread milliseconds per estimated frame (the network's time in its worker not included). */
  readonly costMs: number;
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
  /** The main figures' frames only: in consistency mode, faithfulness to the input. */
  readonly srvid: { readonly psnr: MetricStats; readonly ssim: MetricStats };
  readonly bicubic: { readonly psnr: MetricStats; readonly ssim: MetricStats };
  /** Detail estimates; null when no frame had one (every mode but consistency with a shadow). */
  readonly detail: DetailSummary | null;
  /** Mean milliseconds per measured frame of each quality step; `shadow` is the detail estimates' share. */
  readonly costMs: {
    readonly bicubic: number;
    readonly resize: number;
    readonly psnr: number;
    readonly ssim: number;
    readonly shadow: number;
  } | null;
  readonly dropped: number;
  readonly fallback: number;
}

export interface PreviewMessage {
  readonly type: 'preview';
  readonly v: number;
  readonly index: number;
  readonly width: number;
  readonly height: number;
  /** data: URLs of JPEGs at the output size, or at most 1280 wide (`width` × `height`): plain bicubic upscaling of the model's input, and srvid. */
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

/**
 * One second of the run, summed up: what a dashboard needs to draw a run of any length (lag, frames by bicubic and
 * dropped over time) without every frame message. Published every second while the run goes on, also when no
 * frame was written in it (a stalled source shows as seconds with 0 frames).
 */
export interface IntervalMessage {
  readonly type: 'interval';
  readonly v: number;
  /** Seconds from the hello (the start of the run) to the end of this interval. */
  readonly t: number;
  /** The interval's length in seconds (about 1). */
  readonly seconds: number;
  /** Frames written in the interval, and the rate that makes. */
  readonly frames: number;
  readonly fps: number;
  /** Lag (decoder to encoder, the frames' `latencyMs`) of the frames written in the interval; null without frames. */
  readonly lagMs: { readonly mean: number; readonly max: number } | null;
  /** Frames dropped and upscaled by bicubic in the interval, and since the start. */
  readonly dropped: number;
  readonly fallback: number;
  readonly droppedTotal: number;
  readonly fallbackTotal: number;
}

/** One worker of a segmented run, as the coordinator last heard from it. */
export interface WorkerRow {
  /** host:pid */
  readonly worker: string;
  readonly model: string;
  readonly backend: string;
  /** The segment in hand, and its frames done so far; null when the worker has none (idle, or gone). */
  readonly segment: number | null;
  readonly segmentFrames: number | null;
  /** The worker's own rate on its latest segment (frames a second). */
  readonly fps: number;
  /** Segments (and their frames) this worker finished in this run, each counted by the coordinator. */
  readonly segmentsDone: number;
  readonly framesDone: number;
  /** Seconds from the hello to the worker's latest report. */
  readonly lastSeen: number;
}

/**
 * A segmented run's state (`--resume`, `--queue`): the segments and frames done and in hand, and every worker
 * heard from. Sent as it changes, at most four times a second; a late client gets the latest one.
 */
export interface WorkersMessage {
  readonly type: 'workers';
  readonly v: number;
  /** Seconds since the hello. */
  readonly t: number;
  readonly segments: { readonly total: number; readonly done: number; readonly inHand: number };
  /** Frames in finished segments (those done before this run included), and in all. */
  readonly frames: { readonly done: number; readonly total: number };
  /** Frames a second over this run so far, all workers together (segments done before it not counted). */
  readonly fps: number;
  readonly workers: readonly WorkerRow[];
}

export type MonitorMessage =
  HelloMessage | FrameMessage | SummaryMessage | PreviewMessage | DroppedMessage | IntervalMessage | WorkersMessage;

/**
 * Sums frame reports up into interval messages: `add` each report, `take(t)` at the end of each interval (t in
 * seconds since the run's start) for the message of the frames added since the last `take`.
 */
export const createIntervals = () => {
  let start = 0;
  let frames = 0;
  let lagSum = 0;
  let lagMax = 0;
  const totals = { dropped: 0, fallback: 0 };
  const before = { dropped: 0, fallback: 0 };
  const add = (r: Pick<FrameReport, 'latencyMs' | 'dropped' | 'fallback'>): void => {
    frames++;
    lagSum += r.latencyMs;
    lagMax = Math.max(lagMax, r.latencyMs);
    // The reports carry running totals; the interval's share is the difference.
    totals.dropped = Math.max(totals.dropped, r.dropped);
    totals.fallback = Math.max(totals.fallback, r.fallback);
  };
  const take = (t: number): IntervalMessage => {
    const seconds = Math.max(t - start, 1e-3);
    const m: IntervalMessage = {
      type: 'interval',
      v: SCHEMA_VERSION,
      t,
      seconds,
      frames,
      fps: frames / seconds,
      lagMs: frames ? { mean: lagSum / frames, max: lagMax } : null,
      dropped: totals.dropped - before.dropped,
      fallback: totals.fallback - before.fallback,
      droppedTotal: totals.dropped,
      fallbackTotal: totals.fallback,
    };
    [start, frames, lagSum, lagMax] = [t, 0, 0, 0];
    Object.assign(before, totals);
    return m;
  };
  return { add, take };
};

const ordinal = (n: number): string => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
};

/** Every frame, or every Nth frame, in words. */
export const everyNth = (every: number): string => (every === 1 ? 'every frame' : `every ${ordinal(every)} frame`);

/** What the main figures (a frame's `srvid`/`bicubic` pair) and the detail estimates measure, by mode. */
export const describeFigures = (run: Pick<RunDescription, 'mode' | 'scale' | 'reference' | 'detailEvery'>): HelloMessage['figures'] => {
  const s = run.scale;
  const every = run.mode === 'consistency' && run.detailEvery ? run.detailEvery : null;
  const main: FigureDescription | null =
    run.mode === 'consistency'
      ? {
          label: 'faithfulness to the input',
          description:
            'the output downscaled back to the input size (antialiased bicubic), against the input: how faithful the ' +
            'output is to its input, not how much detail it adds (an output that adds none can score high)',
        }
      : run.mode === 'self'
        ? {
            label: 'reconstruction of the input',
            description: `the input downscaled by ${s} (antialiased bicubic), upscaled by srvid and by bicubic, against the input itself; ${s} px border cropped: the SR papers' protocol`,
          }
        : run.mode === 'reference'
          ? {
              label: 'against the reference video',
              description: run.reference ?? 'against the reference video, frames paired by timestamp',
            }
          : null;
  if (!main) return null;
  const detail: FigureDescription | null = every
    ? {
        label: `detail estimate (${everyNth(every)})`,
        description:
          `detail estimate: ${everyNth(every)} of the input downscaled by ${s} (antialiased bicubic), upscaled by srvid ` +
          `and by bicubic, against the input frame itself; ${s} px border cropped. The self protocol on a sample of ` +
          'frames, computed beside the run: the output is not affected',
      }
    : null;
  return { main, detail };
};

export const helloMessage = (run: RunDescription): HelloMessage => ({
  type: 'hello',
  v: SCHEMA_VERSION,
  ...run,
  detailEvery: run.mode === 'consistency' && run.detailEvery ? run.detailEvery : null, // 0: none
  metrics: { psnr: 'PSNR-Y in dB, peak 255 (1023 at 10 bits)', ssim: "SSIM-Y, 8x8 blocks as ffmpeg's ssim filter" },
  figures: describeFigures(run),
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
  ...(r.quality?.detail ? { detail: { srvid: finite(r.quality.detail.srvid), bicubic: finite(r.quality.detail.bicubic) } } : {}),
  fps: r.fps,
  latencyMs: r.latencyMs,
  queueDepth: r.queueDepth,
  dropped: r.dropped,
  fallback: r.fallback,
});

/** Mean and min of the PSNR and SSIM of srvid and bicubic over the pairs added. */
const createPairStats = () => {
  const sums = { sp: 0, ss: 0, bp: 0, bs: 0 };
  const mins = { sp: Infinity, ss: Infinity, bp: Infinity, bs: Infinity };
  let n = 0;
  const add = (srvid: MetricPair, bicubic: MetricPair): void => {
    n++;
    const m = { sp: finite(srvid).psnr, ss: srvid.ssim, bp: finite(bicubic).psnr, bs: bicubic.ssim };
    for (const k of Object.keys(m) as (keyof typeof m)[]) {
      sums[k] += m[k];
      mins[k] = Math.min(mins[k], m[k]);
    }
  };
  const stats = (k: keyof typeof sums): MetricStats => (n ? { mean: sums[k] / n, min: mins[k] } : { mean: null, min: null });
  return {
    add,
    count: () => n,
    srvid: () => ({ psnr: stats('sp'), ssim: stats('ss') }),
    bicubic: () => ({ psnr: stats('bp'), ssim: stats('bs') }),
  };
};

/** Accumulates frame reports into the summary (mean and min of each metric, mean cost of each step). */
export const createSummary = () => {
  const main = createPairStats();
  const detail = createPairStats();
  const cost = { bicubic: 0, resize: 0, psnr: 0, ssim: 0, shadow: 0 };
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
    main.add(r.quality.srvid, r.quality.bicubic);
    if (r.quality.detail) detail.add(r.quality.detail.srvid, r.quality.detail.bicubic);
    for (const k of Object.keys(cost) as (keyof typeof cost)[]) cost[k] += r.quality.costMs[k] ?? 0;
  };
  /** `frames`: a segmented run's frame count (its frames are not reported one by one). */
  const message = (run: { elapsedSec: number; fps: number; error?: string; frames?: number }): SummaryMessage => ({
    type: 'summary',
    v: SCHEMA_VERSION,
    status: run.error === undefined ? 'finished' : 'failed',
    ...(run.error === undefined ? {} : { error: run.error }),
    frames: run.frames ?? frames,
    measured,
    elapsedSec: run.elapsedSec,
    fps: run.fps,
    srvid: main.srvid(),
    bicubic: main.bicubic(),
    detail: detail.count()
      ? { frames: detail.count(), srvid: detail.srvid(), bicubic: detail.bicubic(), costMs: cost.shadow / detail.count() }
      : null,
    costMs: measured
      ? {
          bicubic: cost.bicubic / measured,
          resize: cost.resize / measured,
          psnr: cost.psnr / measured,
          ssim: cost.ssim / measured,
          shadow: cost.shadow / measured,
        }
      : null,
    dropped,
    fallback,
  });
  return { add, message };
};

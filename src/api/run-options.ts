/**
 * The defaults of every run option, declared once. Each entry point resolves its caller's options against this
 * table as its first step (`resolveOptions`), and everything below it reads the resolved values and applies no
 * default of its own; the CLI's option table shows and starts from the same values. An option with no entry
 * here has no default: absent means "not asked for" (a reference, a report, a monitor, a codec chosen by the
 * container).
 */
import type { WhenBehind } from '../pipeline/operators/upscale-live.js';
import type { BackendChoice, DeviceChoice } from '../models/select-backend.js';
import type { Upscaler } from '../pipeline/ports.js';

export const RUN_DEFAULTS = {
  /** Replace an existing output (the CLI's `-y`). */
  overwrite: false,
  /** Runtime (auto: the fastest that loads) and device (auto: a GPU when one works). */
  backend: 'auto' as BackendChoice,
  device: 'auto' as DeviceChoice,
  /** Worker threads upscaling frames side by side (0: one per core). */
  workers: 0,
  /** onnxruntime threads per worker (0: the cores shared among the workers). */
  threads: 0,
  crf: 18,
  // No preset here: unless one is given, the encoder's is medium for files and superfast live (sink/encoder-args.ts).
  /** Frames in the upscaler at once (0: two per worker), and frames in flight in all. */
  concurrent: 0,
  maxFramesInFlight: 8,
  /** Stop at the first decoding error: never report success on half a video. */
  strict: true,
  /** Live: how far the output may lag, and what happens to a frame the network cannot upscale within it. */
  maxLatencyMs: 2_000,
  whenBehind: 'bicubic' as WhenBehind,
  /** Live: how long to wait for the first frame, and for more data while it flows. */
  connectTimeoutMs: 10_000,
  /** Live: wait for a publisher (`rtmp://host:port/app` as a server). */
  listen: false,
  /** Live: reconnections in a row after the input drops (0: the run ends when it drops). */
  reconnectAttempts: 0,
  /** Measure quality per frame even without a monitor, report or reference. */
  measure: false,
  /** Consistency mode: every Nth frame also gets the detail estimate (0: never). */
  detailEvery: 10,
  /** The dashboard's before/after preview every N frames. */
  previewEvery: 30,
  /** Segmented jobs: about how long a segment is (each cut falls on the next keyframe). */
  segmentSeconds: 10,
} as const;

export type RunDefaults = typeof RUN_DEFAULTS;

/** What the CLI's `--reconnect` means when `--reconnect-attempts` is not given. */
export const RECONNECT_ATTEMPTS_WHEN_ASKED = 5;

/** Options with every default filled in: the keys this table declares are present and defined. */
export type Resolved<O> = Omit<O, keyof RunDefaults> & {
  readonly [K in keyof RunDefaults & keyof O]-?: Exclude<O[K], undefined>;
};

/** The caller's options over the defaults; a key given as `undefined` counts as not given. */
export const resolveOptions = <O extends object>(o: O): Resolved<O> => {
  const resolved: Record<string, unknown> = { ...RUN_DEFAULTS };
  for (const [key, value] of Object.entries(o)) if (value !== undefined) resolved[key] = value;
  return resolved as Resolved<O>;
};

/** The named points of a run where `RunHooks.at` is awaited. */
export type HookStage =
  /** the model has loaded in its threads, and the load has not yet returned */
  | 'load'
  /** every frame has reached the encoder and its stdin is closed; the output is not yet in place */
  | 'flush'
  /** the output is in place and the run is about to return */
  | 'done'
  /** segmented runs: the joined file is written and not yet renamed into place */
  | 'join';

/**
 * Collaborators a caller can inject into a run; the fault tests use them to stop a run at a known stage, slow
 * the network or fail a segment on purpose, without a guess at timing. A run without them does none of this.
 */
export interface RunHooks {
  /** Awaited at each named point; it may hold the run there (the signal says when the run is stopped). */
  readonly at?: (stage: HookStage, signal: AbortSignal | undefined) => Promise<void>;
  /** Wraps each network upscaler the run loads (e.g. a slower one, to put a live run behind real time). */
  readonly wrapUpscaler?: (u: Upscaler) => Upscaler;
  /** `srvid worker`: called before each try of a segment; a throw fails that try. */
  readonly beforeSegment?: (index: number) => void;
  /** onnxruntime's worker threads: a fault on frame 3 ('throw' an uncaught error, or 'exit' the thread). */
  readonly workerFault?: 'throw' | 'exit';
}

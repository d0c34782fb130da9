/** Messages between the main thread and the upscale workers. */
import type { FrameFormat } from '../../pipeline/frame.js';
import type { UpscaleTimes } from '../../pipeline/ports.js';
import type { Tiling } from '../espcn/upscale-frame.js';
import type { MotionSearch } from '../rvsr/global-motion.js';

export interface WorkerConfig {
  readonly path: string;
  readonly name: string;
  readonly scale: number;
  /** onnxruntime intra-op threads of this worker's session. */
  readonly threads: number;
  readonly tiling: Tiling;
  /** A recurrent network (rvsr): the worker keeps the stream's past; run with one worker, frames in order. */
  readonly recurrent?: boolean;
  /** A recurrent network trained with its past moved by the motion (ResolvedModel.motion). */
  readonly motion?: MotionSearch | null;
  /** Run the graph on the frames' bytes (ResolvedModel.io8). */
  readonly io8?: boolean;
  /**
   * A fault injected on frame 3, as a bug or a crashing runtime would cause it: 'throw' an uncaught error, or
   * 'exit' the thread (process.exit(1)). The fault tests pass it in; a run never sets it.
   */
  readonly fault?: 'throw' | 'exit';
}

/** A frame to upscale; `bytes` is a copy the worker owns (transferred). The string 'close' asks it to stop. */
export interface ToWorker {
  readonly id: number;
  readonly index: number;
  readonly ptsMs: number | null;
  readonly format: FrameFormat;
  readonly bytes: Uint8Array;
  /** Upscale it outside the stream (Upscaler.upscaleAlone). */
  readonly alone?: boolean;
}

export type FromWorker =
  | { readonly kind: 'ready'; readonly backend: string }
  | { readonly kind: 'broken'; readonly message: string }
  | { readonly kind: 'done'; readonly id: number; readonly bytes: Uint8Array; readonly times: UpscaleTimes }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

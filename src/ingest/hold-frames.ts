/**
 * A bound, set once and for all, on the frames a live source has handed out and not had back: beyond it the
 * splitter stops at a frame and the decoder's stdout is paused (the decoder, and stdin behind it, then wait).
 * A live reader is never held; stdin that turns out to be a file on a pipe is (see stdin-pacing.ts).
 */
import type { MatroskaFrameSplitter } from './split-frames.js';

export interface FrameHold {
  /** The bound (infinite until `set`). */
  readonly limit: number;
  set(limit: number): void;
  /** The decoder now being read; `then` runs once it has handed out every frame it keeps (at once if none). */
  read(splitter: MatroskaFrameSplitter, stdout: NodeJS.ReadableStream): { afterKept: (then: () => void) => void };
  /** A frame was handed out: call from the splitter's frame callback, which may pause it. */
  out(): void;
  /** A frame came back; may resume the decoder (whose splitter may throw on the bytes it kept). */
  back(): void;
}

export const createFrameHold = (): FrameHold => {
  let limit = Number.POSITIVE_INFINITY;
  let held = 0;
  let reader: { splitter: MatroskaFrameSplitter; stdout: NodeJS.ReadableStream; drained: (() => void) | null } | null = null;
  return {
    get limit() {
      return limit;
    },
    set: (n) => void (limit = n),
    read: (splitter, stdout) => {
      const r = { splitter, stdout, drained: null as (() => void) | null };
      reader = r;
      return { afterKept: (then) => void (splitter.isPaused ? (r.drained = then) : then()) };
    },
    out: () => {
      held++;
      if (held >= limit) reader?.splitter.pause();
    },
    back: () => {
      held--;
      const r = reader;
      if (!r?.splitter.isPaused || held >= limit) return;
      r.splitter.resume();
      if (r.splitter.isPaused) return;
      r.stdout.resume();
      const then = r.drained;
      r.drained = null;
      then?.();
    },
  };
};

/**
 * Pairs output frames with the frames of a reference video by timestamp. Times are taken relative to each
 * stream's first frame (an encode of the same clip may start at another offset). A reference frame matches
 * when it is the nearest one and within half the reference's frame interval (its shortest seen); without timestamps, frames pair by
 * index. Output frames arrive in order, so reference frames before the match are released at once.
 */
import type { Subscription } from 'rxjs';
import type { Frame } from '../pipeline/frame.js';
import type { FrameSource } from '../pipeline/ports.js';

export interface ReferenceAligner {
  frameFor(output: Frame): Promise<Frame | null>;
  /** Output frames that found no reference frame so far. */
  readonly unmatched: number;
  close(): Promise<void>;
}

export const createReferenceAligner = (source: FrameSource): ReferenceAligner => {
  const buffer: Frame[] = [];
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let subscription: Subscription | null = null;
  let refStart: number | null = null;
  let outStart: number | null = null;
  let unmatched = 0;
  let interval = Infinity; // the reference's shortest frame interval seen so far

  const start = (): void => {
    subscription ??= source.frames().subscribe({
      next: (f) => {
        refStart ??= f.ptsMs;
        buffer.push(f);
        wake?.();
      },
      error: (err: unknown) => {
        failure = err;
        ended = true;
        wake?.();
      },
      complete: () => {
        ended = true;
        wake?.();
      },
    });
  };
  /** Resolves once the buffer holds `n` frames or the reference has ended. */
  const fill = async (n: number): Promise<void> => {
    while (buffer.length < n && !ended) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    if (failure) throw failure;
  };
  const drop = (): void => source.release(buffer.shift() as Frame);
  const rel = (f: Frame): number => (f.ptsMs as number) - (refStart as number);

  const frameFor = async (output: Frame): Promise<Frame | null> => {
    start();
    await fill(1);
    if (output.ptsMs === null || refStart === null) {
      // No timestamps on one side: pair by index.
      while (buffer.length && (buffer[0] as Frame).index < output.index) {
        drop();
        await fill(1);
      }
      const hit = buffer[0]?.index === output.index ? (buffer[0] as Frame) : null;
      if (!hit) unmatched++;
      return hit;
    }
    outStart ??= output.ptsMs;
    const t = output.ptsMs - outStart;
    for (;;) {
      await fill(2);
      const [a, b] = buffer as [Frame | undefined, Frame | undefined];
      if (!a) break;
      if (b && rel(b) > rel(a)) interval = Math.min(interval, rel(b) - rel(a));
      if (b && Math.abs(rel(b) - t) <= Math.abs(rel(a) - t)) {
        drop();
        continue;
      }
      if (Math.abs(rel(a) - t) <= interval / 2 + 0.5) return a;
      break;
    }
    unmatched++;
    return null;
  };

  return {
    frameFor,
    get unmatched() {
      return unmatched;
    },
    close: async () => {
      subscription?.unsubscribe(); // stops the reference decoder
      buffer.length = 0;
    },
  };
};

import { defer, from, map, mergeMap, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { Upscaled, Upscaler } from '../ports.js';

export interface UpscaledItem extends Upscaled {
  /** How long the model slot this frame took had been free, waiting for the decoder (0 when it was queued). */
  readonly decodeWaitMs: number;
}

/**
 * Upscales frames with at most `concurrent` in the upscaler at once; output may be out of order (see
 * ensureOrder). Each free slot remembers since when it has been free, which gives every frame its decode wait.
 */
export const upscaleFrames =
  (upscaler: Upscaler, concurrent: number, now: () => number = () => performance.now()): OperatorFunction<Frame, UpscaledItem> =>
  (frames) =>
    defer(() => {
      const start = now();
      const freeSince: number[] = Array.from({ length: concurrent }, () => start);
      return frames.pipe(
        mergeMap((frame) => {
          // mergeMap calls this only when a slot is free, so there is always an entry.
          const decodeWaitMs = Math.max(0, now() - (freeSince.shift() ?? now()));
          return from(upscaler.upscale(frame)).pipe(
            map((u): UpscaledItem => {
              freeSince.push(now());
              return { ...u, decodeWaitMs };
            }),
          );
        }, concurrent),
      );
    });

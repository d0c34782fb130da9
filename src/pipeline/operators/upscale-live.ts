import { defer, from, map, mergeMap, of, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { Upscaler } from '../ports.js';
import type { UpscaledItem } from './upscale-frames.js';

/** What a live run does with a frame the network cannot take in time. */
export type WhenBehind = 'bicubic' | 'drop';

export interface LivePolicy {
  readonly whenBehind: WhenBehind;
  /** How far a frame may lag: the network is skipped while its recent turnaround exceeds this. */
  readonly maxLatencyMs: number;
  /** Frames decoded and not yet written beyond which every new frame is dropped, whatever the policy. */
  readonly maxBacklog: number;
}

export type Route = 'network' | 'fallback' | 'drop';

export interface LiveItem extends UpscaledItem {
  readonly route: Route;
}

const NO_TIMES = { convertMs: 0, inferenceMs: 0, chromaMs: 0 };

/**
 * Live mode's upscale stage. The decoder is never paused, so nothing may queue for the network: a frame goes
 * to the network only when a slot is free (at most `concurrent` at once) and the network's recent turnaround
 * fits the latency budget, or when the network is idle (which is how srvid returns to it as soon as it has
 * caught up); otherwise it is upscaled by `fallback` (bicubic, far cheaper) or dropped, as the policy says.
 * `backlog` is the count of frames decoded and not yet written. Output may be out of order (see ensureOrder).
 */
export const upscaleLive =
  (
    network: Upscaler,
    fallback: Upscaler,
    concurrent: number,
    policy: LivePolicy,
    backlog: () => number,
    now: () => number = () => performance.now(),
  ): OperatorFunction<Frame, LiveItem> =>
  (frames) =>
    defer(() => {
      let busy = 0;
      let turnaroundMs = 0; // a moving average of the network's time per frame, queueing included
      // Network slots in use: fewer while frames pile up behind the network (the workers would otherwise keep
      // the cores from bicubic and the encoder), back up one at a time while the backlog stays small.
      let allowed = concurrent;
      return frames.pipe(
        mergeMap((frame) => {
          const t = now();
          const waiting = backlog();
          if (waiting > policy.maxBacklog / 2) allowed = Math.max(1, allowed - 1);
          else if (waiting <= concurrent) allowed = Math.min(concurrent, allowed + 1);
          const fits = busy === 0 || (busy < allowed && turnaroundMs <= policy.maxLatencyMs);
          if (waiting > policy.maxBacklog || (!fits && policy.whenBehind === 'drop')) {
            return of<LiveItem>({ frame, times: NO_TIMES, decodeWaitMs: 0, route: 'drop' });
          }
          if (!fits) return from(fallback.upscale(frame)).pipe(map((u): LiveItem => ({ ...u, decodeWaitMs: 0, route: 'fallback' })));
          busy++;
          return from(network.upscale(frame)).pipe(
            map((u): LiveItem => {
              busy--;
              const took = now() - t;
              turnaroundMs = turnaroundMs ? 0.8 * turnaroundMs + 0.2 * took : took;
              return { ...u, decodeWaitMs: 0, route: 'network' };
            }),
          );
        }), // no concurrency limit: every frame is routed the moment it arrives
      );
    });

import { defer, from, map, mergeMap, of, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { Upscaled, Upscaler } from '../ports.js';
import type { UpscaledItem } from './upscale-frames.js';

/** What a live run does with a frame the network cannot take in time. */
export type WhenBehind = 'bicubic' | 'drop';

export interface LivePolicy {
  readonly whenBehind: WhenBehind;
  /** How far a frame may lag: the network is skipped while its recent turnaround exceeds this. */
  readonly maxLatencyMs: number;
  /**
   * Frames decoded and not yet written beyond which every new frame is dropped, whatever the policy, once the
   * oldest of them has waited longer than `maxLatencyMs` (and at BACKLOG_HARD_CAP times it in any case).
   */
  readonly maxBacklog: number;
  /** The network's speed measured before the input opened (frames a second, all workers busy), if known. */
  readonly expectedFps?: number;
  /**
   * The network's result for a frame it took before the run started (a head start on the frames that arrived
   * meanwhile, src/models/head-start.ts), if it took this one: used as it is, never routed again.
   */
  readonly headStart?: (frame: Frame) => HeadStartResult | undefined;
}

/** A frame's result from a head start (src/models/head-start.ts): `ready` when the network has already finished it. */
export interface HeadStartResult {
  readonly result: Promise<Upscaled>;
  readonly ready: boolean;
}

export type Route = 'network' | 'fallback' | 'drop';

/** Frames decoded and not yet written, and how long the oldest of them has waited (ms; 0 when there is none). */
export interface Backlog {
  readonly frames: number;
  readonly oldestMs: number;
}

/** The backlog (in `maxBacklog`s) beyond which frames are dropped however young it is: the memory bound. */
export const BACKLOG_HARD_CAP = 4;

export interface LiveItem extends UpscaledItem {
  readonly route: Route;
}

const NO_TIMES = { convertMs: 0, inferenceMs: 0, chromaMs: 0 };

/** The share of --max-latency a frame may spend waiting for and in the network; the rest is for the pipes and the encoder. */
export const NETWORK_SHARE = 0.5;

/**
 * Live mode's upscale stage. The decoder is never paused, so whatever waits for the network must still come
 * out within the latency budget: a frame goes to the network when it is idle, or when the frames already
 * there (`busy`) and this one would be done within NETWORK_SHARE of `maxLatencyMs` at the network's measured
 * pace (a frame behind `ahead` others waits 1 + ahead / parallelism rounds of one frame's time); otherwise it
 * is upscaled by `fallback` (bicubic, far cheaper) or dropped, as the policy says. Bursts (ffmpeg hands over
 * the first second of a live input at once) are absorbed that way, and only a network that is slower than
 * the input for longer than the budget sends frames elsewhere. Without a measured speed (`expectedFps`), at most
 * `concurrent` wait until the first frame has come back. `backlog` says how many frames are decoded and not yet
 * written and how long the oldest has waited. Those outside the network (in bicubic, waiting for order, in the
 * encoder's pipe) are a problem only once they lag: an encoder that is still starting holds a second of frames
 * and then takes them many times faster than they come. So when more than half of `maxBacklog` pile up and the
 * oldest has waited beyond the network's share of the budget, the network is given fewer frames; beyond
 * `maxBacklog`, with the oldest past the whole budget, new frames are dropped (always beyond BACKLOG_HARD_CAP
 * times it). A frame the network took before the run started (`headStart`) keeps that result.
 * Output may be out of order (see ensureOrder).
 */
export const upscaleLive =
  (
    network: Upscaler,
    fallback: Upscaler,
    concurrent: number,
    policy: LivePolicy,
    backlog: () => Backlog,
    now: () => number = () => performance.now(),
  ): OperatorFunction<Frame, LiveItem> =>
  (frames) =>
    defer(() => {
      const parallel = Math.max(1, network.parallelism);
      const budgetMs = NETWORK_SHARE * policy.maxLatencyMs;
      const rounds = (ahead: number): number => 1 + Math.floor(ahead / parallel);
      let busy = 0;
      // A moving average of one round of the network (each worker on one frame), from the measured speed at first.
      let roundMs = policy.expectedFps ? (1000 * parallel) / policy.expectedFps : 0;
      // Frames the network may hold: fewer while frames pile up beyond it (the workers would otherwise keep the
      // cores from bicubic and the encoder), but never fewer than it has workers (an idle worker helps no one),
      // back up one at a time while that stays small.
      const cap = 8 * concurrent;
      let allowed = cap;
      // The head start's frames (the first ones, in order) are a bounded batch held once: while they wait for
      // the encoder, which is only starting, they do not count as frames piling up. Frames leave the backlog
      // in order, so those of them still in it are the ones taken less those gone.
      let seen = 0;
      let headTaken = 0;
      let headBusy = 0;
      return frames.pipe(
        mergeMap((frame) => {
          seen++;
          const early = policy.headStart?.(frame);
          if (early) {
            // Already with the network, most of them done: one not done yet counts as busy, but its time, much
            // of it spent before the run started, says nothing of the network's pace.
            const inNetwork = early.ready ? 0 : 1;
            busy += inNetwork;
            headBusy += inNetwork;
            headTaken++;
            return from(early.result).pipe(
              map((u): LiveItem => {
                busy -= inNetwork;
                headBusy -= inNetwork;
                return { ...u, decodeWaitMs: 0, route: 'network' };
              }),
            );
          }
          const t = now();
          const { frames: waiting, oldestMs } = backlog();
          const headLeft = Math.max(0, headTaken - Math.max(0, seen - waiting));
          const beyond = waiting - (busy - headBusy) - headLeft;
          if (beyond > policy.maxBacklog / 2 && oldestMs > budgetMs) allowed = Math.max(parallel, allowed - 1);
          else if (beyond <= concurrent) allowed = Math.min(cap, allowed + 1);
          const onTime = roundMs === 0 ? busy < concurrent : rounds(busy) * roundMs <= budgetMs;
          const fits = busy === 0 || (busy < allowed && onTime);
          const over = beyond > BACKLOG_HARD_CAP * policy.maxBacklog || (beyond > policy.maxBacklog && oldestMs > policy.maxLatencyMs);
          if (over || (!fits && policy.whenBehind === 'drop')) {
            return of<LiveItem>({ frame, times: NO_TIMES, decodeWaitMs: 0, route: 'drop' });
          }
          if (!fits) return from(fallback.upscale(frame)).pipe(map((u): LiveItem => ({ ...u, decodeWaitMs: 0, route: 'fallback' })));
          const waited = rounds(busy);
          busy++;
          return from(network.upscale(frame)).pipe(
            map((u): LiveItem => {
              busy--;
              const round = (now() - t) / waited;
              roundMs = roundMs ? 0.8 * roundMs + 0.2 * round : round;
              return { ...u, decodeWaitMs: 0, route: 'network' };
            }),
          );
        }), // no concurrency limit: every frame is routed the moment it arrives
      );
    });

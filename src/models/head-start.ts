/**
 * A live run's head start: the frames a live input delivers before its pipeline starts, given to the warm model
 * as they come. Before a stream piped into srvid is known to be live, its first second or so of frames is held
 * (stdin-pacing.ts decides from how they arrive), and every one of them reached the pipeline at once, behind
 * the producer's real time: the start-up burst that went to bicubic or was dropped. With a head start, the
 * network has already upscaled many of them by then; the live stage takes those results instead of routing the
 * frames again (upscale-live.ts, `LivePolicy.headStart`).
 *
 * It starts once the model's speed is measured (so the measurement is not disturbed) and only for an upscaler
 * whose frames stand alone: a recurrent model's state must see the frames of the run, in the run's order. If the
 * run turns out to be a file on a pipe, or takes another model, the results are simply not used (`stop`).
 */
import { frameByteLength, type Frame } from '../pipeline/frame.js';
import type { HeadStartResult } from '../pipeline/operators/upscale-live.js';
import type { Upscaled, Upscaler } from '../pipeline/ports.js';

export interface HeadStart {
  /** A frame decoded before the pipeline subscribed (the live source's `onEarlyFrame`), in order. */
  offer(frame: Frame): void;
  /** Starts upscaling the frames offered so far and those still to come, with `upscaler`. */
  start(upscaler: Upscaler): void;
  /**
   * The result for `frame` if the head start has given it to the network (once; undefined otherwise). The
   * first call ends the head start: frames it has not given to the network by then are the run's to route;
   * the first miss forgets the results not taken.
   */
  take(frame: Frame): HeadStartResult | undefined;
  /** Takes no more frames and forgets the results not taken. */
  stop(): void;
  /** Frames it has given to the network, and not given out yet. */
  readonly pending: number;
  /** Frames offered and not yet given to the network (all of them until `start`). */
  readonly waiting: number;
}

/** The output a head start upscales in all, in bytes: 90 frames at 720p, 10 at 2160p. */
export const HEAD_START_BYTES = 128 * 2 ** 20;

/**
 * Frames with the network at once, per worker, as the pipeline keeps them (two: one computing, one on its way).
 * A frame is given to the network only when one comes back, so those not reached when the run starts are
 * routed by the run's latency policy like any other.
 */
const PER_WORKER = 2;

export const createHeadStart = (scale: number, maxBytes = HEAD_START_BYTES): HeadStart => {
  const waiting: Frame[] = [];
  const results = new Map<Frame, Promise<Upscaled>>();
  const ready = new WeakSet<Frame>();
  let upscaler: Upscaler | null = null;
  let ended = false; // stopped, or the run has started taking results
  let bytes = 0;
  let busy = 0;
  const pump = (): void => {
    while (upscaler && !ended && busy < PER_WORKER * Math.max(1, upscaler.parallelism)) {
      const frame = waiting[0];
      if (!frame) return;
      const { width, height, pixFmt } = frame.format;
      const outBytes = frameByteLength({ width: width * scale, height: height * scale, pixFmt });
      if (bytes + outBytes > maxBytes) return;
      waiting.shift();
      bytes += outBytes;
      busy++;
      const result = upscaler.upscale(frame);
      results.set(frame, result);
      const next = (): void => {
        ready.add(frame);
        busy--;
        pump();
      };
      result.then(next, next); // a result not taken (stopped, or the model disposed) fails unseen
    }
  };
  return {
    offer: (frame) => {
      if (ended) return;
      waiting.push(frame);
      pump();
    },
    start: (u) => {
      if (ended || upscaler) return;
      upscaler = u;
      pump();
    },
    take: (frame) => {
      ended = true;
      waiting.length = 0;
      const result = results.get(frame);
      if (!result) {
        // The frames it took are the first ones, in order: a miss means none after it either (or the run
        // feeds the network other frames than the decoded ones), so the rest is dropped now.
        results.clear();
        return undefined;
      }
      results.delete(frame);
      return { result, ready: ready.has(frame) };
    },
    stop: () => {
      ended = true;
      waiting.length = 0;
      results.clear();
    },
    get pending() {
      return results.size;
    },
    get waiting() {
      return waiting.length;
    },
  };
};

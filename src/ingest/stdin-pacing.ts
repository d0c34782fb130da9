/**
 * Whether stdin is a live source or a file on a pipe, from how its frames arrive. Two signs, either of which a
 * real-time producer (`ffmpeg -re`, a camera, a relayed stream) cannot show for long:
 * - its timestamps run ahead of the clock. A producer piping into srvid started with srvid's process, and one
 *   that sends in real time cannot have sent more of its stream than the time since then, whatever srvid was
 *   busy with meanwhile (one blocked on a full pipe sends what it owes in a burst, never more);
 * - it waits for srvid. A file (`cat in.mp4 |`) always has more to give than the decoder has read; a producer
 *   in real time has given all it has, once the decoder has caught up with its initial burst.
 * A file that decodes faster than real time shows the first within a second or so; one that decodes slower
 * shows the second. Pure: fed each frame's timestamp, when it arrived, how long stdin has waited in all, and
 * the bytes of the frames held meanwhile.
 */

/** A live source (the latency policy applies) or a file on a pipe (every frame kept). */
export type Pacing = 'real-time' | 'ahead';

export interface PacingLimits {
  /**
   * How far the timestamps read must run ahead of the clock for stdin to be a file: above the initial burst a
   * real-time producer may send (ffmpeg ≥ 6.1's `-re` sends 0.5 s at once).
   */
  readonly aheadMs: number;
  /**
   * stdin is real time once, over the last `windowMs`, its lead has risen by less than `steadyRiseMs` and it
   * waited for the decoder less than `waitingShare` of the time…
   */
  readonly windowMs: number;
  readonly steadyRiseMs: number;
  readonly waitingShare: number;
  /** …and at the latest this long after its first frame, a file if it still waits that much. */
  readonly decideMs: number;
  /** Frames held while deciding, in bytes: once reached, stdin is a file if it is ahead of the clock or waits. */
  readonly maxHeldBytes: number;
}

export const PACING_LIMITS: PacingLimits = {
  aheadMs: 1000,
  windowMs: 1000,
  steadyRiseMs: 250,
  waitingShare: 0.5,
  decideMs: 4000,
  maxHeldBytes: 128 * 2 ** 20,
};

export interface PacingGauge {
  /** A frame arrived at `nowMs`, stdin having waited `waitedMs` in all so far; the decision, once there is one. */
  frame(ptsMs: number, nowMs: number, waitedMs: number, heldBytes: number): Pacing | null;
  /** Decides now, unless decided already (the input ended, or failed). */
  decide(p: Pacing): void;
  /** The decision, once made. */
  readonly decided: Promise<Pacing>;
}

interface Sample {
  readonly atMs: number;
  readonly leadMs: number;
  readonly waitedMs: number;
}

/** `originMs`: when the producer started, at the latest (on performance.now()'s clock, whose 0 is the process's start). */
export const createPacingGauge = (originMs = 0, limits: PacingLimits = PACING_LIMITS): PacingGauge => {
  let first: { ptsMs: number; atMs: number } | null = null;
  let lastPts = -Infinity;
  // The samples of the last window, and the last one before it (the window's reference).
  const samples: Sample[] = [];
  let decision: Pacing | null = null;
  let resolve = (_: Pacing): void => {};
  const decided = new Promise<Pacing>((r) => (resolve = r));
  const decide = (p: Pacing | null): Pacing | null => {
    if (p && !decision) resolve((decision = p));
    return decision;
  };
  const judge = (ptsMs: number, nowMs: number, waitedMs: number, heldBytes: number): Pacing | null => {
    first ??= { ptsMs, atMs: nowMs };
    lastPts = Math.max(lastPts, ptsMs);
    const lead = lastPts - first.ptsMs - (nowMs - originMs);
    if (lead >= limits.aheadMs) return 'ahead';
    samples.push({ atMs: nowMs, leadMs: lead, waitedMs });
    while (samples.length > 1 && (samples[1] as Sample).atMs <= nowMs - limits.windowMs) samples.shift();
    const ref = samples[0] as Sample;
    const waits = nowMs > ref.atMs && (waitedMs - ref.waitedMs) / (nowMs - ref.atMs) >= limits.waitingShare;
    if (heldBytes >= limits.maxHeldBytes) return lead > 0 || waits ? 'ahead' : 'real-time';
    if (ref.atMs > nowMs - limits.windowMs) return null; // not a full window yet
    if (lead - ref.leadMs < limits.steadyRiseMs && !waits) return 'real-time';
    if (nowMs - first.atMs >= limits.decideMs) return waits ? 'ahead' : 'real-time';
    return null;
  };
  return {
    frame: (ptsMs, nowMs, waitedMs, heldBytes) => decision ?? decide(judge(ptsMs, nowMs, waitedMs, heldBytes)),
    decide: (p) => void decide(p),
    decided,
  };
};

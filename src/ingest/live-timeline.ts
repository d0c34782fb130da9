/**
 * A live source's timestamps across reconnections, pure: each decoder after a drop starts its own clock again,
 * so its timestamps are moved to carry on from the last frame, its first frame one frame interval (the
 * shortest seen) after it. Also counts the frames of the whole run and of each decoder.
 */
export interface DecoderClock {
  /** A timestamp of this decoder's (a frame's or a side packet's) on the run's timeline. */
  shift(ptsMs: number): number;
  /** A frame at run time `t` (shifted) was read; returns its index in the run. */
  frame(t: number): number;
  /** Frames this decoder delivered. */
  readonly frames: number;
}

export interface LiveTimeline {
  /** The clock of the next decoder: the first, or one after a drop. */
  decoder(reconnected: boolean): DecoderClock;
  /** Frames read in all, across reconnections. */
  readonly frames: number;
}

export const createLiveTimeline = (): LiveTimeline => {
  let frames = 0;
  let lastPtsMs: number | null = null;
  let stepMs = 40; // the shortest frame interval seen: where a reconnected stream's first frame goes
  let seenStep = false;
  return {
    get frames() {
      return frames;
    },
    decoder: (reconnected) => {
      let offsetMs: number | null = reconnected ? null : 0;
      let own = 0;
      return {
        shift: (ptsMs) => {
          offsetMs ??= (lastPtsMs ?? 0) + stepMs - ptsMs;
          return ptsMs + offsetMs;
        },
        frame: (t) => {
          // The frame interval, from this decoder's own frames (a reconnection's first frame follows the gap).
          if (lastPtsMs !== null && t > lastPtsMs && own > 0) stepMs = seenStep ? Math.min(stepMs, t - lastPtsMs) : t - lastPtsMs;
          seenStep ||= lastPtsMs !== null && own > 0;
          lastPtsMs = t;
          own++;
          return frames++;
        },
        get frames() {
          return own;
        },
      };
    },
  };
};

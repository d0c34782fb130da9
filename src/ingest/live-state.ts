/**
 * A live source's states and the events that move it, pure (open-live-source.ts acts on each transition).
 *
 *   connecting ──video──▶ flowing ──exited (attempts left)──▶ reconnecting ──frame──▶ flowing
 *        │                  │  ▲ frame                           │
 *        │                  └──exited (none left)──▶ ended ◀─────┘ exited (none left)
 *        ├──give-up / fail──▶ failed ◀──fail── flowing, reconnecting
 *        └──stop──▶ stopped ◀──stop── flowing, reconnecting
 *
 * `transition` returns null for an event that does not apply in a state: the source then does nothing (a frame
 * after the run stopped the source, a give-up once video flows, anything once it is over).
 */

export type LiveState =
  /** No video yet: the open waits, the connect timer runs. */
  | { readonly kind: 'connecting' }
  /** Video arrived (the open resolved) and frames flow. */
  | { readonly kind: 'flowing' }
  /** The input dropped: a new decoder is due after a backoff, or reading; `failedAttempts` in a row gave no frame. */
  | { readonly kind: 'reconnecting'; readonly failedAttempts: number }
  /** The input ended (or dropped with no attempt left): the frames complete. */
  | { readonly kind: 'ended' }
  /** The input failed: before video, the open rejects; after, the frames error. */
  | { readonly kind: 'failed'; readonly error: Error }
  /** The run stopped it (closed, or its frames unsubscribed). */
  | { readonly kind: 'stopped' };

export type LiveEvent =
  /** A decoder's header named the video track. */
  | { readonly type: 'video' }
  | { readonly type: 'frame' }
  /**
   * A decoder exited after video had arrived (not to be started again with other subtitle choices): `gotFrames`
   * if it delivered any, `attempts` the reconnections allowed in a row (0 when none can be made).
   */
  | { readonly type: 'exited'; readonly gotFrames: boolean; readonly attempts: number }
  /** Nothing to wait for any more before video arrived (a timeout, an abort, an input that cannot be read live). */
  | { readonly type: 'give-up'; readonly error: Error }
  /** The input went wrong (a size change, unreadable bytes). */
  | { readonly type: 'fail'; readonly error: Error }
  | { readonly type: 'stop' };

export const INITIAL_LIVE_STATE: LiveState = { kind: 'connecting' };

/** Whether nothing more happens: the frames have completed or errored, or the run stopped the source. */
export const isOver = (s: LiveState): boolean => s.kind === 'ended' || s.kind === 'failed' || s.kind === 'stopped';

const afterExit = (s: LiveState, e: Extract<LiveEvent, { type: 'exited' }>): LiveState => {
  const failedAttempts = e.gotFrames ? 0 : (s.kind === 'reconnecting' ? s.failedAttempts : 0) + 1;
  return failedAttempts < e.attempts ? { kind: 'reconnecting', failedAttempts } : { kind: 'ended' };
};

/** The state after `e`, or null when `e` does not apply in `s`. */
export const transition = (s: LiveState, e: LiveEvent): LiveState | null => {
  if (isOver(s)) return null;
  const connecting = s.kind === 'connecting';
  switch (e.type) {
    case 'video':
      return connecting ? { kind: 'flowing' } : null;
    case 'frame':
      return connecting ? null : { kind: 'flowing' };
    case 'exited':
      return connecting ? null : afterExit(s, e);
    case 'give-up':
      return connecting ? { kind: 'failed', error: e.error } : null;
    case 'fail':
      return { kind: 'failed', error: e.error };
    case 'stop':
      return { kind: 'stopped' };
  }
};

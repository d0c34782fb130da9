/**
 * A child process as srvid sees it: its state as a union, a bounded stderr tail, and a graceful stop.
 * ffmpeg-job.ts makes these; the decoder's and encoder's users read them.
 */
import type { ChildProcess } from 'node:child_process';
import { tailLines } from '../errors.js';

export type ChildState =
  | { readonly kind: 'running' }
  | { readonly kind: 'exited-ok' }
  | {
      readonly kind: 'exited-error';
      readonly code: number | null;
      readonly signal: string | null;
      readonly stderrTail: string;
      /** The errno code when the process never started (`ENOENT`, `EACCES`); the tail then holds the message. */
      readonly spawnError?: string;
    };

export type EndedState = Exclude<ChildState, { readonly kind: 'running' }>;

export interface WatchedChild {
  readonly process: ChildProcess;
  readonly state: () => ChildState;
  /** Resolves (never rejects) when the process has exited and its stdio closed. */
  readonly exited: Promise<EndedState>;
  readonly stderrTail: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. Never rejects. */
  readonly stop: (graceMs?: number) => Promise<void>;
}

/** Why a child failed, for a message: the last `lines` of its stderr, else its exit code or signal. */
export const failureWords = (state: Extract<ChildState, { kind: 'exited-error' }>, lines = 2): string =>
  tailLines(state.stderrTail, lines) || `exit code ${state.code ?? state.signal}`;

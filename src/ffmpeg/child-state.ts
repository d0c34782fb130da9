/**
 * Watching a child process that someone else spawned: its state as a union, a bounded stderr tail, and a
 * graceful stop (SIGTERM, then SIGKILL after a delay). Shared by the decoder and encoder spawners; it
 * spawns nothing itself.
 */
import type { ChildProcess } from 'node:child_process';

export type ChildState =
  | { readonly kind: 'running' }
  | { readonly kind: 'exited-ok' }
  | { readonly kind: 'exited-error'; readonly code: number | null; readonly signal: string | null; readonly stderrTail: string };

export interface WatchedChild {
  readonly process: ChildProcess;
  readonly state: () => ChildState;
  /** Resolves (never rejects) when the process has exited and its stdio closed. */
  readonly exited: Promise<ChildState>;
  readonly stderrTail: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. Never rejects. */
  readonly stop: (graceMs?: number) => Promise<void>;
}

const TAIL_BYTES = 4096;

export const watchChild = (child: ChildProcess): WatchedChild => {
  let tail = '';
  let state: ChildState = { kind: 'running' };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    tail = (tail + text).slice(-TAIL_BYTES);
  });
  const exited = new Promise<ChildState>((resolve) => {
    child.once('error', (err) => {
      // spawn failure (ENOENT, EACCES): no 'close' follows when the process never started.
      state = { kind: 'exited-error', code: null, signal: null, stderrTail: err.message };
      resolve(state);
    });
    child.once('close', (code, signal) => {
      if (state.kind === 'running') {
        state = code === 0 ? { kind: 'exited-ok' } : { kind: 'exited-error', code, signal, stderrTail: tail };
      }
      resolve(state);
    });
  });
  const stop = async (graceMs = 3000): Promise<void> => {
    if (state.kind !== 'running') return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { process: child, state: () => state, exited, stderrTail: () => tail, stop };
};

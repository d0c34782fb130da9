/**
 * The one place srvid starts a process (fluent-ffmpeg's processor, small): arguments come from the pure
 * builders beside this file; here a child is spawned, watched (its state, a bounded stderr tail), stopped
 * (SIGTERM, then SIGKILL), timed out, and killed if srvid exits first. Two shapes share that code:
 * `startJob` for a long-running piped child (the decoder, the encoder) and `runJob` for a one-shot run
 * (ffprobe, `-version`, cutting and joining segments).
 */
import { spawn } from 'node:child_process';
import { AbortedError } from '../errors.js';
import { atExit } from './at-exit.js';
import type { ChildState, EndedState, WatchedChild } from './child-state.js';

/** How much of a child's stderr is kept (characters): enough for ffmpeg's last lines, bounded for a long run. */
export const TAIL_CHARS = 4096;

export interface JobStdio {
  /** 'ignore' (default), 'pipe' (the caller writes), or a stream piped in (the child is then its only reader). */
  readonly stdin?: 'ignore' | 'pipe' | NodeJS.ReadableStream;
  /** 'pipe' (default), 'ignore', or 'inherit' (srvid's own stdout, for `-` as the output). */
  readonly stdout?: 'pipe' | 'ignore' | 'inherit';
  /** The stderr tail's bound in characters (default TAIL_CHARS). */
  readonly tailChars?: number;
}

/**
 * Starts `binary args` and watches it. It is SIGKILLed if srvid exits while it runs; otherwise the caller
 * stops it (`stop()`) or waits for it (`exited`).
 *
 * @example
 * const encoder = startJob(ffmpeg, args, { stdin: 'pipe', stdout: 'ignore' });
 * encoder.process.stdin!.end(bytes);
 * const state = await encoder.exited; // { kind: 'exited-ok' } or { kind: 'exited-error', code, stderrTail, … }
 */
export const startJob = (binary: string, args: readonly string[], stdio: JobStdio = {}): WatchedChild => {
  const input = stdio.stdin ?? 'ignore';
  const piped = typeof input === 'string' ? null : input;
  const child = spawn(binary, args, { stdio: [piped ? 'pipe' : (input as 'ignore' | 'pipe'), stdio.stdout ?? 'pipe', 'pipe'] });
  const bound = stdio.tailChars ?? TAIL_CHARS;
  let tail = '';
  let state: ChildState = { kind: 'running' };
  // A child never outlives srvid: an encoder left with a closed stdin would finish a file nobody wants.
  const forget = atExit(() => {
    if (state.kind === 'running') child.kill('SIGKILL');
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    tail = (tail + text).slice(-bound);
  });
  const exited = new Promise<EndedState>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      // spawn failure (ENOENT, EACCES): no 'close' follows when the process never started. An error of a
      // process that did start (a failed kill) changes nothing: its 'close' still comes.
      if (state.kind !== 'running' || child.pid !== undefined) return;
      state = { kind: 'exited-error', code: null, signal: null, stderrTail: err.message, ...(err.code ? { spawnError: err.code } : {}) };
      forget();
      resolve(state);
    });
    child.once('close', (code, signal) => {
      if (state.kind === 'running') {
        state = code === 0 ? { kind: 'exited-ok' } : { kind: 'exited-error', code, signal, stderrTail: tail };
      }
      forget();
      resolve(state as EndedState);
    });
  });
  if (piped && child.stdin) {
    child.stdin.on('error', () => {}); // EPIPE once the child has exited; its exit status says why
    piped.pipe(child.stdin);
    void exited.then(() => piped.unpipe(child.stdin ?? undefined));
  }
  const stop = async (graceMs = 3000): Promise<void> => {
    if (state.kind !== 'running') return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { process: child, state: () => state, exited, stderrTail: () => tail, stop };
};

export interface RunJobOptions {
  /** Stops the run (SIGTERM, then SIGKILL); runJob then throws AbortedError. */
  readonly signal?: AbortSignal;
  /** Stops the run after this many milliseconds; the result says `stopped: 'timeout'`. */
  readonly timeoutMs?: number;
  /** Collects stdout, up to this many bytes (beyond, the run is stopped: `stopped: 'stdout-limit'`); without it stdout is ignored. */
  readonly stdoutBytes?: number;
  readonly tailChars?: number;
}

export interface JobResult {
  readonly state: EndedState;
  /** stdout as UTF-8 ('' unless `stdoutBytes` was given). */
  readonly stdout: string;
  readonly stderrTail: string;
  /** Why srvid stopped it before it ended by itself, or null. */
  readonly stopped: 'timeout' | 'stdout-limit' | null;
}

/**
 * Runs `binary args` to the end and says how it ended; it rejects only with AbortedError (when `signal`
 * aborts), so the caller words a failure in its own terms from `state` (see failureWords).
 *
 * @example
 * const { state, stdout } = await runJob(ffprobe, ['-version'], { timeoutMs: 15_000, stdoutBytes: 1 << 20 });
 */
export const runJob = async (binary: string, args: readonly string[], o: RunJobOptions = {}): Promise<JobResult> => {
  if (o.signal?.aborted) throw new AbortedError();
  const collect = o.stdoutBytes !== undefined;
  const child = startJob(binary, args, { stdout: collect ? 'pipe' : 'ignore', ...(o.tailChars ? { tailChars: o.tailChars } : {}) });
  let stopped: JobResult['stopped'] = null;
  const chunks: Buffer[] = [];
  let bytes = 0;
  child.process.stdout?.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes <= (o.stdoutBytes ?? 0)) chunks.push(chunk);
    else if (!stopped) {
      stopped = 'stdout-limit';
      void child.stop();
    }
  });
  const onAbort = (): void => void child.stop();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    o.timeoutMs === undefined
      ? null
      : setTimeout(() => {
          stopped ??= 'timeout';
          void child.stop();
        }, o.timeoutMs);
  try {
    const state = await child.exited;
    if (o.signal?.aborted) throw new AbortedError();
    const stderrTail = child.stderrTail();
    // A run that ended by itself as its time ran out did finish; one cut off at the stdout bound did not.
    if (stopped === 'timeout' && state.kind === 'exited-ok') stopped = null;
    const ended: EndedState =
      stopped === 'stdout-limit' && state.kind === 'exited-ok' ? { kind: 'exited-error', code: 0, signal: null, stderrTail } : state;
    return { state: ended, stdout: Buffer.concat(chunks).toString('utf8'), stderrTail, stopped };
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
};

/**
 * The one `process.on('exit')` listener: what must not outlive srvid (a child still running, a temporary file
 * still open) registers a synchronous cleanup here and removes it once done. Cleanups run last-registered
 * first, as atexit(3) does, so a child started to write a temporary file is killed before that file is
 * removed. Used by ffmpeg-job.ts and temp-file.ts; nothing else listens for 'exit' for them.
 */

const cleanups = new Set<() => void>();

const runAll = (): void => {
  for (const fn of [...cleanups].reverse()) {
    try {
      fn();
    } catch {
      // 'exit' cannot wait or report: the other cleanups still run
    }
  }
  cleanups.clear();
};

/**
 * Runs `fn` (synchronously, never awaited) if the process exits while it is registered; returns the function
 * that unregisters it. The listener is on `process` only while something is registered.
 *
 * @example
 * const forget = atExit(() => child.kill('SIGKILL'));
 * child.once('close', forget);
 */
export const atExit = (fn: () => void): (() => void) => {
  // A function is registered once however often it is passed: wrap it so each call has its own entry.
  const entry = (): void => fn();
  if (cleanups.size === 0) process.on('exit', runAll);
  cleanups.add(entry);
  return () => {
    if (!cleanups.delete(entry)) return;
    if (cleanups.size === 0) process.off('exit', runAll);
  };
};

/** How many cleanups are registered now (for tests and diagnostics). */
export const pendingExitCleanups = (): number => cleanups.size;

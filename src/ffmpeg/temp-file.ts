/**
 * Temp-then-rename, for every file srvid writes (the encoder's output, images, the report, the journal): the
 * writer writes a temporary file beside the target, then `commit` renames it into place and `abort` removes
 * it; if srvid exits before either, the one exit listener (at-exit.ts) removes it. One naming scheme for all:
 * `.NAME.srvid-PID-N.partial.EXT` beside `NAME.EXT` — hidden, marked as srvid's and as unfinished, on the same
 * file system as the target (so the rename is atomic), the extension kept last (ffmpeg and sharp choose a
 * format by it). Beside ffmpeg-job.ts because the two share the exit listener; the jobs room may import it.
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { atExit } from './at-exit.js';

let made = 0;

/** The temporary name for `target`: `.NAME.srvid-PID-N.partial.EXT` in its folder. Pure but for the counter. */
export const tempPathFor = (target: string, pid = process.pid): string => {
  const final = resolve(target);
  const ext = extname(final);
  return join(dirname(final), `.${basename(final, ext)}.srvid-${pid}-${++made}.partial${ext}`);
};

/** Which process wrote a temporary name of `target`'s, or null if `name` is not one. */
const writerOf = (target: string, name: string): number | null => {
  const ext = extname(target);
  const stem = `.${basename(target, ext)}.srvid-`;
  if (!name.startsWith(stem) || !name.endsWith(`.partial${ext}`)) return null;
  const m = /^(\d+)-\d+$/.exec(name.slice(stem.length, name.length - `.partial${ext}`.length));
  return m ? Number(m[1]) : null;
};

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process: alive
  }
};

/**
 * Removes the temporary files of `target` that a srvid killed before (SIGKILL, power loss) left: those whose
 * writing process is gone. Returns their paths.
 */
export const removeStaleTemps = (target: string): string[] => {
  const final = resolve(target);
  let names: string[];
  try {
    names = readdirSync(dirname(final));
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    const pid = writerOf(final, n);
    return pid !== null && pid !== process.pid && !alive(pid);
  });
  for (const n of stale) rmSync(join(dirname(final), n), { force: true });
  return stale.map((n) => join(dirname(final), n));
};

export interface TempFile {
  /** Where to write: beside the target, removed at exit unless committed. */
  readonly path: string;
  /** The absolute target path. */
  readonly target: string;
  /**
   * Renames the finished file onto the target (replacing it). With `durable`, the file is fsynced first and
   * the folder after, so a crash leaves the old file or the new one, never an empty one. If the rename fails
   * the temporary file is removed and the error thrown.
   */
  commit(o?: { readonly durable?: boolean }): void;
  /** Removes the temporary file if it is there. Never throws: a failure is a process warning. */
  abort(): void;
}

const fsyncPath = (path: string, flags: 'r' | 'r+'): void => {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/**
 * A temporary file for `target`, registered for removal at exit. Nothing is created on disk: the writer
 * creates `path`.
 *
 * @example
 * const temp = createTempFile('out.png');
 * try {
 *   await sharp(data, raw).toFile(temp.path);
 *   temp.commit();
 * } catch (err) {
 *   temp.abort();
 *   throw err;
 * }
 */
export const createTempFile = (target: string): TempFile => {
  const final = resolve(target);
  const path = tempPathFor(final);
  const remove = (): void => {
    if (!existsSync(path)) return;
    try {
      rmSync(path, { force: true });
    } catch (err) {
      process.emitWarning(`could not remove ${path}: ${(err as Error).message}`);
    }
  };
  const forget = atExit(() => rmSync(path, { force: true }));
  return {
    path,
    target: final,
    commit: (o = {}) => {
      try {
        if (o.durable) fsyncPath(path, 'r+');
        renameSync(path, final);
      } catch (err) {
        remove();
        throw err;
      } finally {
        forget();
      }
      if (o.durable) {
        try {
          fsyncPath(dirname(final), 'r'); // the rename itself; not possible on every platform (Windows)
        } catch {
          // the file's own data is safe; only the rename may be replayed after a crash
        }
      }
    },
    abort: () => {
      forget();
      remove();
    },
  };
};

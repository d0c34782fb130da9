/**
 * `--report`'s frame rows, kept on disk rather than in memory: a live run may never end, and a row a frame
 * (about 250 bytes of JSON) would grow without bound. Rows are appended to a spool file beside the report as
 * they come (buffered, one write per 64 kB); `commit` writes the report (the header, then the rows copied
 * from the spool) to a temporary name and renames it; `discard` removes what there is. Never more than one
 * buffer of rows in memory. The spool and the report's temporary file are both temporaries of the report
 * (temp-file.ts): named alike, and removed if srvid exits before commit or discard.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { createTempFile } from '../ffmpeg/temp-file.js';

const CHUNK = 64 * 1024;

export interface ReportSpool {
  /** Appends one frame row. */
  add(row: unknown): void;
  /** Writes `{ ...head, frames: [rows] }` to the report path (atomically) and removes the spool. */
  commit(head: Record<string, unknown>): void;
  /** Removes the spool and any partial report. Never throws. */
  discard(): void;
}

export const spoolReport = (path: string): ReportSpool => {
  // Never committed: its rows are copied into the report.
  const spool = createTempFile(path);
  let fd: number | null = null;
  let pending: string[] = [];
  let pendingBytes = 0;
  let rows = 0;
  // A failed write is kept for commit() to throw: the run itself goes on.
  let failure: Error | null = null;
  const flush = (): void => {
    if (!pending.length) return;
    fd ??= openSync(spool.path, 'w');
    writeSync(fd, pending.join(''));
    pending = [];
    pendingBytes = 0;
  };
  const closeSpool = (): void => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  return {
    add: (row) => {
      if (failure) return;
      // The report's own layout (JSON.stringify(…, null, 1)): one row a line, indented by two.
      const text = `${rows++ ? ',\n' : ''}  ${JSON.stringify(row)}`;
      pending.push(text);
      pendingBytes += text.length;
      if (pendingBytes < CHUNK) return;
      try {
        flush();
      } catch (err) {
        failure = err as Error;
        pending = [];
      }
    },
    commit: (head) => {
      if (failure) throw failure;
      flush();
      closeSpool();
      const partial = createTempFile(path);
      const out = openSync(partial.path, 'w');
      try {
        const top = JSON.stringify({ ...head, frames: [] }, null, 1);
        // `top` ends with `"frames": []\n}`: the rows go between the brackets.
        const cut = top.lastIndexOf('[]');
        writeSync(out, `${top.slice(0, cut)}[${rows ? '\n' : ''}`);
        if (rows) {
          const src = openSync(spool.path, 'r');
          try {
            const buf = Buffer.allocUnsafe(CHUNK);
            for (let n; (n = readSync(src, buf, 0, CHUNK, null)) > 0;) writeSync(out, buf, 0, n);
          } finally {
            closeSync(src);
          }
        }
        writeSync(out, `${rows ? '\n ' : ''}]${top.slice(cut + 2)}\n`);
      } catch (err) {
        closeSync(out);
        partial.abort();
        throw err;
      }
      closeSync(out);
      partial.commit();
      spool.abort();
    },
    discard: () => {
      try {
        closeSpool();
      } catch {
        // already closed
      }
      spool.abort();
    },
  };
};

/**
 * The journal of a segmented job, kept in the work folder beside the output (`out.mp4.srvid/journal.json`).
 * It is keyed by the input (size, mtime, SHA-256 of its first MiB) and by every option that changes the
 * result; a journal with another key is refused, never reused. It is written atomically (a temporary file,
 * fsync, rename), so a crash at any moment leaves the old journal or the new one, never half of one.
 */
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { JobError } from '../errors.js';
import { createTempFile } from '../ffmpeg/temp-file.js';

const HEAD_BYTES = 1 << 20;
export const JOURNAL_NAME = 'journal.json';

export interface InputKey {
  readonly size: number;
  readonly mtimeMs: number;
  /** SHA-256 of the first MiB, hex. */
  readonly headSha256: string;
}

/** Every option that changes the output, by name; values are compared as they are. */
export type OptionsKey = Readonly<Record<string, string | number | boolean | null>>;

export interface JournalSegment {
  readonly index: number;
  /** The cut segment (video only, stream copy), a file name in the work folder. */
  readonly source: string;
  /** The upscaled segment, a file name in the work folder. */
  readonly output: string;
  readonly startSec: number;
  readonly endSec: number;
  /** Packets (frames) in the cut segment; the upscaled one must have as many. */
  readonly frames: number;
  /** Set once the upscaled segment exists with every frame (counted by ffprobe). */
  readonly done: boolean;
}

export interface Journal {
  readonly version: 1;
  readonly input: InputKey;
  readonly options: OptionsKey;
  /** Null until the input has been cut. */
  readonly segments: readonly JournalSegment[] | null;
}

/** The input's identity: size, mtime and a hash of its head (a file rewritten in place changes one of them). */
export const inputKey = (path: string): InputKey => {
  const st = statSync(path);
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
    let got = 0;
    while (got < head.length) {
      const n = readSync(fd, head, got, head.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return { size: st.size, mtimeMs: Math.round(st.mtimeMs), headSha256: createHash('sha256').update(head.subarray(0, got)).digest('hex') };
  } finally {
    closeSync(fd);
  }
};

/**
 * An HTTP(S) input's identity: its length and Last-Modified (or ETag) as the server states them, and SHA-256
 * of its first MiB (a Range request; a server that ignores Range sends more, and only the first MiB counts).
 */
export const urlInputKey = async (url: string, signal?: AbortSignal): Promise<InputKey> => {
  const res = await fetch(url, { headers: { Range: `bytes=0-${HEAD_BYTES - 1}` }, ...(signal ? { signal } : {}) });
  if (!res.ok) throw new JobError(`${url}: the server answered ${res.status} ${res.statusText}`);
  const reader = res.body?.getReader();
  const parts: Buffer[] = [];
  let got = 0;
  while (reader && got < HEAD_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(Buffer.from(value));
    got += value.byteLength;
  }
  await reader?.cancel().catch(() => {});
  const head = Buffer.concat(parts).subarray(0, HEAD_BYTES);
  const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
  const size = Number(range ?? res.headers.get('content-length') ?? -1);
  // Last-Modified is the mtime; a server that gives only an ETag has it folded into the hash instead.
  const modified = Date.parse(res.headers.get('last-modified') ?? '');
  return {
    size: Number.isFinite(size) ? size : -1,
    mtimeMs: Number.isFinite(modified) ? modified : 0,
    headSha256: createHash('sha256')
      .update(head)
      .update(Number.isFinite(modified) ? '' : (res.headers.get('etag') ?? ''))
      .digest('hex'),
  };
};

/** The journal in `dir`, or null when there is none. */
export const readJournal = (dir: string): Journal | null => {
  let text: string;
  try {
    text = readFileSync(join(dir, JOURNAL_NAME), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new JobError(`cannot read the journal in ${dir}: ${(err as Error).message}`);
  }
  try {
    const j = JSON.parse(text) as Journal;
    if (j.version !== 1 || !j.input || !j.options) throw new Error('not a srvid journal');
    return j;
  } catch (err) {
    throw new JobError(`${join(dir, JOURNAL_NAME)} is not a srvid journal (${(err as Error).message}); remove ${dir} to start over`);
  }
};

/** What differs between a journal's key and this run's, in words; empty when they match. */
export const keyDifferences = (journal: Pick<Journal, 'input' | 'options'>, input: InputKey, options: OptionsKey): string[] => {
  const diffs: string[] = [];
  if (journal.input.size !== input.size) diffs.push(`the input's size (${journal.input.size} bytes then, ${input.size} now)`);
  else if (journal.input.headSha256 !== input.headSha256) diffs.push("the input's first MiB");
  else if (journal.input.mtimeMs !== input.mtimeMs) diffs.push("the input's modification time");
  const names = new Set([...Object.keys(journal.options), ...Object.keys(options)]);
  for (const name of names) {
    const then = journal.options[name] ?? null;
    const now = options[name] ?? null;
    if (then !== now) diffs.push(`${name} (${String(then)} then, ${String(now)} now)`);
  }
  return diffs;
};

/** Refuses a journal made for another input or other options, naming what differs and how to start over. */
export const checkJournal = (dir: string, journal: Journal, input: InputKey, options: OptionsKey): void => {
  const diffs = keyDifferences(journal, input, options);
  if (diffs.length === 0) return;
  throw new JobError(
    `${dir} holds a job for another input or other options: ${diffs.join(', ')} differ; ` +
      `rerun with the same input and options, or remove ${dir} to start over`,
  );
};

/** Writes the journal atomically: a temporary file beside it, fsync, rename over the old one. */
export const writeJournal = (dir: string, journal: Journal): void => {
  const temp = createTempFile(join(dir, JOURNAL_NAME));
  try {
    writeFileSync(temp.path, `${JSON.stringify(journal, null, 1)}\n`);
    temp.commit({ durable: true });
  } catch (err) {
    temp.abort();
    throw err;
  }
};

/** The journal with segment `index` marked done. */
export const markDone = (journal: Journal, index: number): Journal => ({
  ...journal,
  segments: (journal.segments ?? []).map((s) => (s.index === index ? { ...s, done: true } : s)),
});

/** The journal as a run records segments: each one marked done and written at once. */
export const journalRecorder = (dir: string, journal: Journal): { record: (index: number) => void; current: () => Journal } => {
  let now = journal;
  return {
    record: (index) => {
      now = markDone(now, index);
      writeJournal(dir, now);
    },
    current: () => now,
  };
};

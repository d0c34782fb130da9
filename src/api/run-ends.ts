/**
 * A video run's two ends as the caller gives them: a path or URL, '-' for the process's stdin or stdout, or a
 * stream. This module and the CLI are the only places that read process.stdin and process.stdout: below them,
 * an input is a name and perhaps a stream to read, an output a name and perhaps a stream to copy into.
 */
import { fstatSync, WriteStream } from 'node:fs';
import type { InputEnd } from '../ingest/open-source.js';
import { isLiveInput } from './open-input.js';

export interface OutputEnd {
  /** A path or URL, or '-' for a stream (the encoder then writes to a pipe, copied into `stream`). */
  readonly name: string;
  readonly stream: NodeJS.WritableStream | null;
  /** Whether the stream is a regular file (stdout redirected to one, an fs.WriteStream): a live run writes Matroska there, not MPEG-TS. */
  readonly isFile: boolean;
  /** Whether srvid ends the stream after the last byte (not process.stdout, which stays the process's). */
  readonly end: boolean;
}

export interface RunEnds {
  readonly input: InputEnd;
  readonly output: OutputEnd;
  /** Whether the run starts live: asked for, or by default for a stream (stdin) and network URLs. */
  readonly startsLive: boolean;
}

/** Whether stdout is a regular file (`srvid - - > out.mkv`) rather than a pipe or a terminal. */
const stdoutIsFile = (): boolean => {
  try {
    return fstatSync(1).isFile();
  } catch {
    return false;
  }
};

const outputEnd = (output: string | NodeJS.WritableStream): OutputEnd => {
  if (output === '-' || output === process.stdout) return { name: '-', stream: process.stdout, isFile: stdoutIsFile(), end: false };
  if (typeof output === 'string') return { name: output, stream: null, isFile: false, end: false };
  return { name: '-', stream: output, isFile: output instanceof WriteStream, end: true };
};

export const runEnds = (o: {
  readonly input: string | NodeJS.ReadableStream;
  readonly output: string | NodeJS.WritableStream;
  readonly live?: boolean;
}): RunEnds => {
  const input: InputEnd =
    o.input === '-'
      ? { name: '-', stream: process.stdin }
      : typeof o.input === 'string'
        ? { name: o.input, stream: null }
        : { name: '-', stream: o.input };
  return { input, output: outputEnd(o.output), startsLive: o.live ?? (input.stream !== null || isLiveInput(input.name)) };
};

/**
 * Copies the encoder's output into the output stream as it comes; resolves once all of it is handed over (and
 * the stream finished, where srvid ends it). A stream that fails (its reader went away) closes the encoder's
 * output, so that the encoder fails on its next write as it would writing there itself.
 */
export const deliver = (encoded: NodeJS.ReadableStream, out: OutputEnd): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const to = out.stream as NodeJS.WritableStream;
    to.once('error', (err: Error) => {
      (encoded as NodeJS.ReadableStream & { destroy(): void }).destroy();
      reject(err);
    });
    if (out.end) to.once('finish', () => resolve());
    else encoded.once('end', () => resolve());
    encoded.pipe(to, { end: out.end });
  });

/**
 * A video run's two ends as the caller gives them: a path or URL, '-' for the process's stdin or stdout, or a
 * stream. This module and the CLI are the only places that read process.stdin and process.stdout: below them,
 * an input is a name and perhaps a stream to read, an output a name and perhaps a stream to copy into.
 */
import { fstatSync, WriteStream } from 'node:fs';
import { OutputError } from '../errors.js';
import type { InputEnd } from '../ingest/open-source.js';
import { isLiveInput } from './open-input.js';

export interface OutputEnd {
  /** A path or URL, or '-': the process's stdout (the encoder writes there itself) or `stream`. */
  readonly name: string;
  readonly stream: NodeJS.WritableStream | null;
  /** Whether the output is a regular file (stdout redirected to one, an fs.WriteStream): a live run writes Matroska there, not MPEG-TS. */
  readonly isFile: boolean;
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
  // The process's stdout is the encoder's own (inherited): nothing passes through this process.
  if (output === '-' || output === process.stdout) return { name: '-', stream: null, isFile: stdoutIsFile() };
  if (typeof output === 'string') return { name: output, stream: null, isFile: false };
  return { name: '-', stream: output, isFile: output instanceof WriteStream };
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
 * Copies the encoder's output into a caller's Writable as it comes. The stream is ended only by `settle`, once
 * the run has succeeded; a failed run destroys it with the run's error, so a reader never takes a cut-off video
 * for a whole one. A stream that fails (its reader went away) closes the encoder's output, so that the encoder
 * fails on its next write as it would writing to a file.
 */
export const deliver = (encoded: NodeJS.ReadableStream, to: NodeJS.WritableStream) => {
  const source = encoded as NodeJS.ReadableStream & { destroy(): void };
  let onError: (err: Error) => void = () => {};
  const copied = new Promise<void>((resolve, reject) => {
    onError = (err: Error) => {
      source.destroy();
      reject(new OutputError(`writing the output stream failed: ${err.message}`));
    };
    to.once('error', onError);
    encoded.once('end', () => resolve());
    encoded.pipe(to, { end: false });
  });
  copied.catch(() => {}); // taken by settle
  return {
    /** After the run: on success, waits for the last byte and ends the stream; on failure, destroys it. */
    settle: async (err: Error | null): Promise<void> => {
      try {
        if (err) {
          (to as NodeJS.WritableStream & { destroy(e?: Error): void }).destroy(err);
          return;
        }
        await copied;
        await new Promise<void>((resolve) => to.end(resolve));
      } finally {
        to.removeListener('error', onError);
      }
    },
  };
};

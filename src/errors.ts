/**
 * Known failures. Each message says what happened, why, and what to do; the CLI prints it on one line
 * without a stack and exits with `exitCode`.
 */
export class SrvidError extends Error {
  override name = 'SrvidError';
  readonly exitCode: number = 1;
}

/** A command-line option or API argument is wrong. */
export class UsageError extends SrvidError {
  override name = 'UsageError';
  override readonly exitCode = 2;
}

/** The input cannot be read: missing, not a video or image, no video stream. */
export class InputError extends SrvidError {
  override name = 'InputError';
}

/** The decoder failed or stopped early: corrupt or truncated input. */
export class DecodeError extends SrvidError {
  override name = 'DecodeError';
}

/** The output cannot be written, or the encoder failed. */
export class OutputError extends SrvidError {
  override name = 'OutputError';
}

/** No usable ffmpeg/ffprobe was found. */
export class FfmpegNotFoundError extends SrvidError {
  override name = 'FfmpegNotFoundError';
}

/** A model is missing, unreadable, or its runtime failed. */
export class ModelError extends SrvidError {
  override name = 'ModelError';
}

/** A segmented job cannot go on: a journal made for another input or other options, a queue, a segment that keeps failing. */
export class JobError extends SrvidError {
  override name = 'JobError';
}

/** The run was stopped by an AbortSignal (SIGINT/SIGTERM in the CLI). */
export class AbortedError extends SrvidError {
  override name = 'AbortedError';
  override readonly exitCode = 130;
  constructor(message = 'stopped before the end; no output was written') {
    super(message);
  }
}

/** Last `maxLines` non-empty lines of a child's stderr, for error messages. */
export const tailLines = (text: string, maxLines = 3): string =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-maxLines)
    .join(' | ');

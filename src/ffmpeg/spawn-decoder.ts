/** The decoder process: frames on stdout, stderr kept as a tail for messages; optionally fed srvid's own stdin. */
import type { WatchedChild } from './child-state.js';
import { startJob } from './ffmpeg-job.js';

/**
 * Starts the decoder; stdout carries the frames, stderr is kept as a tail for messages. With `stdin`, that
 * stream is piped into the decoder (srvid's own stdin, for `-`): the decoder is then its only reader.
 */
export const spawnDecoder = (ffmpeg: string, args: string[], stdin?: NodeJS.ReadableStream): WatchedChild =>
  startJob(ffmpeg, args, { stdin: stdin ?? 'ignore', stdout: 'pipe' });

/**
 * The encoder process: frames on stdin; its output to a file or URL (stdout unused), to srvid's own stdout
 * (inherited, for '-'), or to a pipe the caller copies into a library caller's Writable.
 */
import type { WatchedChild } from './child-state.js';
import { startJob } from './ffmpeg-job.js';

export const spawnEncoder = (ffmpeg: string, args: string[], stdout: 'ignore' | 'inherit' | 'pipe'): WatchedChild =>
  startJob(ffmpeg, args, { stdin: 'pipe', stdout });

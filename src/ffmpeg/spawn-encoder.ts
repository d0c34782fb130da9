/** The encoder process: frames on stdin, output to a file, or to a pipe the caller reads (for '-' and streams). */
import type { WatchedChild } from './child-state.js';
import { startJob } from './ffmpeg-job.js';

export const spawnEncoder = (ffmpeg: string, args: string[], toPipe: boolean): WatchedChild =>
  startJob(ffmpeg, args, { stdin: 'pipe', stdout: toPipe ? 'pipe' : 'ignore' });

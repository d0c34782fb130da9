/** The encoder process: frames on stdin, output to a file or to our stdout. */
import type { WatchedChild } from './child-state.js';
import { startJob } from './ffmpeg-job.js';

export const spawnEncoder = (ffmpeg: string, args: string[], toStdout: boolean): WatchedChild =>
  startJob(ffmpeg, args, { stdin: 'pipe', stdout: toStdout ? 'inherit' : 'ignore' });

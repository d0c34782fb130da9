/** The encoder process: frames on stdin, output to a file, or to a pipe the caller reads (for '-'). The only sink module that spawns. */
import { spawn } from 'node:child_process';
import { watchChild, type WatchedChild } from './child-state.js';

export const spawnEncoder = (ffmpeg: string, args: string[], toStdout: boolean): WatchedChild =>
  watchChild(spawn(ffmpeg, args, { stdio: ['pipe', toStdout ? 'pipe' : 'ignore', 'pipe'] }));

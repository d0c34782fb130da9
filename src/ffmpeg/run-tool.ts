/**
 * One-shot ffmpeg runs for segmented jobs (cutting, joining) and the packet count that verifies a segment.
 * A run is stopped (SIGTERM, then SIGKILL) when its signal aborts, and never outlives srvid: an 'exit'
 * handler kills it if the process ends first.
 */
import { spawn } from 'node:child_process';
import { AbortedError, SrvidError, tailLines } from '../errors.js';
import { watchChild } from './child-state.js';
import { countPacketsArgs } from './segment-args.js';
import { runFfprobe } from './spawn-decoder.js';

export interface RunToolOptions {
  /** What the run does, for messages ("cutting in.mp4 into segments"). */
  readonly what: string;
  readonly signal?: AbortSignal;
  /** The error class to throw when ffmpeg fails (default SrvidError). */
  readonly error?: new (message: string) => SrvidError;
}

/** Runs ffmpeg to the end; rejects with the last lines of its stderr, or AbortedError when stopped. */
export const runFfmpeg = async (ffmpeg: string, args: string[], o: RunToolOptions): Promise<void> => {
  if (o.signal?.aborted) throw new AbortedError();
  const child = watchChild(spawn(ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  const onExit = (): void => void child.process.kill('SIGKILL');
  const onAbort = (): void => void child.stop();
  process.on('exit', onExit);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const state = await child.exited;
    if (o.signal?.aborted) throw new AbortedError();
    if (state.kind === 'exited-error') {
      const why = tailLines(state.stderrTail, 2) || `exit code ${state.code ?? state.signal}`;
      throw new (o.error ?? SrvidError)(`${o.what} failed (ffmpeg: ${why})`);
    }
  } finally {
    process.off('exit', onExit);
    o.signal?.removeEventListener('abort', onAbort);
  }
};

/** The number of packets (one per frame) in a file's first video stream, read without decoding. */
export const countVideoPackets = async (ffprobe: string, path: string): Promise<number> => {
  const json = (await runFfprobe(ffprobe, countPacketsArgs(path), path)) as { streams?: { nb_read_packets?: string }[] };
  const n = Number(json.streams?.[0]?.nb_read_packets);
  return Number.isInteger(n) ? n : 0;
};

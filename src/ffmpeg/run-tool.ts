/**
 * One-shot ffmpeg runs for segmented jobs (cutting, joining) and the packet count that verifies a segment,
 * on top of runJob (ffmpeg-job.ts): a run is stopped (SIGTERM, then SIGKILL) when its signal aborts, and
 * never outlives srvid.
 */
import { SrvidError } from '../errors.js';
import { failureWords } from './child-state.js';
import { runJob } from './ffmpeg-job.js';
import { runFfprobe } from './read-tool.js';
import { countPacketsArgs } from './segment-args.js';

export interface RunToolOptions {
  /** What the run does, for messages ("cutting in.mp4 into segments"). */
  readonly what: string;
  readonly signal?: AbortSignal;
  /** The error class to throw when ffmpeg fails (default SrvidError). */
  readonly error?: new (message: string) => SrvidError;
}

/** Runs ffmpeg to the end; rejects with the last lines of its stderr, or AbortedError when stopped. */
export const runFfmpeg = async (ffmpeg: string, args: string[], o: RunToolOptions): Promise<void> => {
  const { state } = await runJob(ffmpeg, args, o.signal ? { signal: o.signal } : {});
  if (state.kind === 'exited-error') throw new (o.error ?? SrvidError)(`${o.what} failed (ffmpeg: ${failureWords(state)})`);
};

/** The number of packets (one per frame) in a file's first video stream, read without decoding. */
export const countVideoPackets = async (ffprobe: string, path: string): Promise<number> => {
  const json = (await runFfprobe(ffprobe, countPacketsArgs(path), path)) as { streams?: { nb_read_packets?: string }[] };
  const n = Number(json.streams?.[0]?.nb_read_packets);
  return Number.isInteger(n) ? n : 0;
};

/**
 * The run's inputs, opened: the video (stdin spooled to a temporary file, since the encoder reads the input a
 * second time for its other streams) with its probe, and the reference video of `--reference FILE`, checked
 * against the output's size and paired with output frames by timestamp.
 */
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { InputError, UsageError } from '../errors.js';
import { probeVideo } from '../ffmpeg/probe-input.js';
import { isNetworkUrl, isUrl } from '../ffmpeg/protocols.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { createFrameSource } from '../ingest/create-frame-source.js';
import { isFullRange } from '../ingest/decoder-args.js';
import { openLiveSource, type LiveSource } from '../ingest/open-live-source.js';
import type { PixelFormat } from '../pipeline/frame.js';
import type { VideoInfo } from '../pipeline/ports.js';
import { createReferenceAligner, type ReferenceAligner } from '../quality/align-reference.js';
import type { Size } from './plan-run.js';

/** Refuses a local input that is not there, before any process starts. */
export const checkInputExists = (input: string, label = ''): void => {
  if (input === '-' || isUrl(input)) return;
  if (!existsSync(input)) throw new InputError(`${label}${input}: no such file`);
  const st = statSync(input);
  if (st.isFile() && st.size === 0) throw new InputError(`${label}${input} is empty (0 bytes)`);
};

export interface OpenedInput {
  /** What ffmpeg reads: the input, or the spooled copy of stdin. */
  readonly path: string;
  readonly info: VideoInfo;
  /** A live input's decoder, already reading (null for files: their decoder starts with the pipeline). */
  readonly live: LiveSource | null;
  /** Removes the spooled copy, if any, and stops a live decoder that never ran. */
  readonly close: () => void;
}

/** Whether an input is live by default: stdin and network URLs are read once, as they arrive. */
export const isLiveInput = (input: string): boolean => input === '-' || isNetworkUrl(input);

export interface LiveInputOptions {
  readonly connectTimeoutMs: number;
  /** Wait for a publisher to connect (rtmp:// as a server). */
  readonly listen: boolean;
  readonly signal?: AbortSignal;
  readonly onEnded?: (message: string) => void;
  /** Subtitle streams converted or left out on the way in. */
  readonly onWarning?: (message: string) => void;
  /** Reconnect attempts after the input drops (0: the run ends there, cleanly). */
  readonly reconnectAttempts: number;
  /** stdin: find out whether it arrives in real time or runs ahead of its timestamps (a file on a pipe). */
  readonly detectPacing?: boolean;
}

/**
 * A live input: its one decoder starts now and the frame size comes from its header (nothing probes the
 * input first). Frames travel as 8-bit 4:2:0.
 */
export const openLiveInput = async (input: string, tools: FfmpegTools, o: LiveInputOptions): Promise<OpenedInput> => {
  const live = await openLiveSource({
    ffmpeg: tools.ffmpeg,
    ffmpegMajor: tools.major,
    input,
    ...(input === '-' ? { stream: process.stdin } : {}),
    pixFmt: 'yuv420p',
    readTimeoutMs: o.connectTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs,
    listen: o.listen,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEnded ? { onEnded: o.onEnded, onReconnect: o.onEnded } : {}),
    ...(o.onWarning ? { onWarning: o.onWarning } : {}),
    reconnectAttempts: o.reconnectAttempts,
    detectPacing: o.detectPacing ?? false,
  });
  const info: VideoInfo = {
    source: input,
    formatName: 'live',
    width: live.format.width,
    height: live.format.height,
    pixFmt: 'yuv420p',
    bitDepth: 8,
    frameRate: live.tracks.video?.frameRate ?? null,
    timeBase: null,
    durationSec: null,
    frameCount: null,
    rotation: 0,
    color: {},
    videoStreamIndex: 0,
    streams: [],
    chapterCount: 0,
  };
  return { path: input, info, live, close: () => void live.close() };
};

export const openInput = async (input: string, tools: FfmpegTools, signal?: AbortSignal): Promise<OpenedInput> => {
  if (input !== '-') return { path: input, info: await probeVideo(tools.ffprobe, input, signal), live: null, close: () => {} };
  const spool = mkdtempSync(join(tmpdir(), 'srvid-stdin-'));
  const close = (): void => rmSync(spool, { recursive: true, force: true });
  process.once('exit', close); // also after a forced exit
  try {
    const path = join(spool, 'input');
    await pipeStreams(process.stdin, createWriteStream(path), ...(signal ? [{ signal }] : []));
    return { path, info: await probeVideo(tools.ffprobe, path, signal), live: null, close };
  } catch (err) {
    close();
    throw err;
  }
};

/** The reference video's frames at the output's size, paired with output frames by timestamp. */
export const openReference = async (
  reference: string,
  tools: FfmpegTools,
  outputSize: Size,
  pixFmt: PixelFormat,
): Promise<ReferenceAligner> => {
  const ref = await probeVideo(tools.ffprobe, reference);
  if (ref.width !== outputSize.width || ref.height !== outputSize.height) {
    throw new UsageError(
      `reference ${reference} is ${ref.width}x${ref.height} but the output is ${outputSize.width}x${outputSize.height}: give a reference at the output's size`,
    );
  }
  return createReferenceAligner(
    createFrameSource({
      ffmpeg: tools.ffmpeg,
      ffmpegMajor: tools.major,
      input: reference,
      videoStreamIndex: ref.videoStreamIndex,
      strict: true,
      fullRange: isFullRange(ref.pixFmt, ref.color.range),
      format: { ...outputSize, pixFmt },
      highWater: 4,
    }),
  );
};

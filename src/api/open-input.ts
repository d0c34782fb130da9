/**
 * The run's inputs, checked and opened: whether an input exists, whether it is live by default, a file input
 * for segmented jobs (video runs open theirs in live-plan.ts, through src/ingest/open-source.ts), and the
 * reference video of `--reference FILE`, checked against the output's size and paired with output frames by
 * timestamp.
 */
import { existsSync, statSync } from 'node:fs';
import { InputError, UsageError } from '../errors.js';
import { probeVideo } from '../ffmpeg/probe-input.js';
import { isNetworkUrl, isUrl } from '../ffmpeg/protocols.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { createFrameSource } from '../ingest/create-frame-source.js';
import { isFullRange } from '../ingest/decoder-args.js';
import { openFileSource } from '../ingest/open-source.js';
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

/** A file input, opened: what ffmpeg reads (the input, or the spooled copy of stdin) and its probe. */
export interface OpenedInput {
  readonly path: string;
  readonly info: VideoInfo;
  /** Removes the spooled copy, if any. */
  readonly close: () => void;
}

/** Whether an input is live by default: stdin and network URLs are read once, as they arrive. */
export const isLiveInput = (input: string): boolean => input === '-' || isNetworkUrl(input);

/** An input read as a file, probed (stdin spooled to a temporary file first): for segmented jobs. */
export const openInput = async (input: string, tools: FfmpegTools, signal?: AbortSignal): Promise<OpenedInput> => {
  const source = await openFileSource({ name: input, stream: input === '-' ? process.stdin : null }, tools, {
    strict: true,
    ...(signal ? { signal } : {}),
  });
  return { path: source.side.kind === 'reopen' ? source.side.path : input, info: source.info, close: () => source.close() };
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

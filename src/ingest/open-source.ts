/**
 * Opening the input, file or live, behind one port (OpenedSource, in the pipeline's ports). A file is probed
 * (a stream read as a file is spooled to a temporary file first: the encoder reads the input a second time for
 * its other streams) and decoded when the pipeline subscribes, waiting for it. A live input's one decoder
 * starts at once, and a stream's first frames say whether it is live or a file on a pipe (stdin-pacing.ts):
 * one that runs ahead of its timestamps is held at the pipeline's bound and keeps every frame.
 */
import { atExit } from '../ffmpeg/at-exit.js';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { probeVideo } from '../ffmpeg/probe-input.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import type { OpenedSource, VideoInfo } from '../pipeline/ports.js';
import { createFrameSource } from './create-frame-source.js';
import { isFullRange } from './decoder-args.js';
import { openLiveSource, type LiveSource, type LiveSourceOptions } from './open-live-source.js';

/** An input as the run names it in messages, and, when it is a stream, the stream to read. */
export interface InputEnd {
  /** A path or URL, or the stream's name ('-'). */
  readonly name: string;
  readonly stream: NodeJS.ReadableStream | null;
}

/** Copies a stream to a temporary file; `remove` deletes it (also at exit). */
const spool = async (stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<{ path: string; remove: () => void }> => {
  const dir = mkdtempSync(join(tmpdir(), 'srvid-stdin-'));
  const forget = atExit(() => rmSync(dir, { recursive: true, force: true })); // also after a forced exit
  const remove = (): void => {
    forget();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const path = join(dir, 'input');
    await pipeStreams(stream, createWriteStream(path), ...(signal ? [{ signal }] : []));
    return { path, remove };
  } catch (err) {
    remove();
    throw err;
  }
};

/** A file (or a URL read as one, or a stream spooled to one): probed now, decoded when the pipeline subscribes. */
export const openFileSource = async (
  input: InputEnd,
  tools: FfmpegTools,
  o: { readonly strict: boolean; readonly signal?: AbortSignal },
): Promise<OpenedSource> => {
  const spooled = input.stream ? await spool(input.stream, o.signal) : null;
  const path = spooled?.path ?? input.name;
  try {
    const info = await probeVideo(tools.ffprobe, path, o.signal);
    return {
      kind: 'file',
      info,
      side: { kind: 'reopen', path },
      frames: ({ pixFmt, highWater }) =>
        createFrameSource({
          ffmpeg: tools.ffmpeg,
          ffprobe: tools.ffprobe,
          ffmpegMajor: tools.major,
          input: path,
          videoStreamIndex: info.videoStreamIndex,
          strict: o.strict,
          fullRange: isFullRange(info.pixFmt, info.color.range),
          format: { width: info.width, height: info.height, pixFmt },
          highWater,
        }),
      close: () => spooled?.remove(),
    };
  } catch (err) {
    spooled?.remove();
    throw err;
  }
};

export type LiveInputOptions = Pick<
  LiveSourceOptions,
  'connectTimeoutMs' | 'listen' | 'reconnectAttempts' | 'signal' | 'onEnded' | 'onWarning' | 'detectPacing' | 'onEarlyFrame'
>;

/** What the live decoder's header says of the input (nothing probes it first). Frames travel as 8-bit 4:2:0. */
const liveInfo = (name: string, live: LiveSource): VideoInfo => ({
  source: name,
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
});

/**
 * A live input (a network URL, or a stream read as it arrives): its one decoder starts now. With
 * `detectPacing`, the source is opened once its first frames have said how the stream arrives.
 */
export const openLiveInput = async (input: InputEnd, tools: FfmpegTools, o: LiveInputOptions): Promise<OpenedSource> => {
  const live = await openLiveSource({
    ...o,
    ffmpeg: tools.ffmpeg,
    ffmpegMajor: tools.major,
    input: input.name,
    ...(input.stream ? { stream: input.stream } : {}),
    pixFmt: 'yuv420p',
    readTimeoutMs: o.connectTimeoutMs,
    ...(o.onEnded ? { onReconnect: o.onEnded } : {}),
  });
  // stdin that runs ahead of its own timestamps is a file on a pipe: no latency policy, every frame kept.
  const kind = (await live.pacing()) === 'ahead' ? 'file' : 'live';
  return {
    kind,
    info: liveInfo(input.name, live),
    side: {
      kind: 'packets',
      tracks: live.tracks.side.filter((t) => t.type === 'audio' || t.type === 'subtitle'),
      connect: (to) => live.onPacket(to),
    },
    frames: ({ highWater }) => {
      if (kind === 'file') live.hold(highWater);
      return live;
    },
    close: () => void live.close(),
  };
};

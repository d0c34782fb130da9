/**
 * A FrameSink over the encoder. A file output is written to a temporary file beside the target and renamed
 * only after ffmpeg exits cleanly, so a failed or stopped run leaves nothing behind; network outputs and HLS
 * playlists (whose segments are files of their own) are written as they go. Side packets (a live input's
 * audio and subtitle cues) are interleaved with the frames by timestamp on the encoder's stdin.
 */
import { basename } from 'node:path';
import { AbortedError, OutputError } from '../errors.js';
import type { Frame, FrameFormat } from '../pipeline/frame.js';
import type { FrameSink, SidePacket, SideTrack, VideoInfo } from '../pipeline/ports.js';
import { failureWords, type WatchedChild } from '../ffmpeg/child-state.js';
import { isUrl } from '../ffmpeg/protocols.js';
import { createTempFile } from '../ffmpeg/temp-file.js';
import { encoderArgs, type EncoderArgsOptions, type EncoderSettings } from './encoder-args.js';
import { matroskaBlockHeader, matroskaFrameHeader, matroskaHeader, sideTrackNumber } from './matroska-writer.js';
import { spawnEncoder } from '../ffmpeg/spawn-encoder.js';

export interface EncoderSinkOptions {
  readonly ffmpeg: string;
  readonly ffmpegMajor: number;
  readonly info: VideoInfo;
  readonly format: FrameFormat;
  /** Output path, or '-' for stdout. */
  readonly output: string;
  readonly muxer: string;
  readonly overwrite: boolean;
  readonly settings: EncoderSettings;
  readonly keepStreams: boolean;
  /** A live input's audio and subtitle tracks, whose packets come through writePacket. */
  readonly sideTracks?: readonly SideTrack[];
  readonly live?: EncoderArgsOptions['live'];
  readonly onWarning?: (message: string) => void;
  /** Awaited once every frame is in and the encoder's stdin is closed, while ffmpeg finishes the file (a test hook). */
  readonly onFlush?: () => Promise<void>;
  /** For '-': the encoder writes into a pipe (`encoded`) for a caller's Writable, instead of into srvid's stdout. */
  readonly pipeOutput?: boolean;
}

export interface EncoderSink extends FrameSink {
  /** Queues a side packet; it is written before the first frame that is not earlier than it. */
  writePacket(packet: SidePacket): void;
  /** For '-': the encoder's output, which the caller copies where it goes (null for a file or URL). */
  readonly encoded: NodeJS.ReadableStream | null;
}

/**
 * Writing to the encoder's stdin: each write waits for the pipe to drain, or fails with why the encoder
 * stopped (its stderr, with the temporary file called by the output's name).
 */
const encoderPipe = (child: WatchedChild, temp: string | null, output: string) => {
  const stdin = child.process.stdin!;
  let pipeError: Error | null = null;
  stdin.on('error', (err) => {
    pipeError = err; // EPIPE when ffmpeg exits early; the exit status says why
  });
  const failure = async (): Promise<OutputError> => {
    const state = await child.exited;
    const why = state.kind === 'exited-error' ? failureWords(state) : (pipeError?.message ?? 'the encoder stopped reading');
    // ffmpeg names the temporary file it was writing; the user knows the output by its own name.
    const named = temp ? why.split(temp).join(output).split(basename(temp)).join(output) : why;
    return new OutputError(`encoding ${output} failed (ffmpeg: ${named})`);
  };
  const send = async (bytes: Uint8Array): Promise<void> => {
    if (pipeError || child.state().kind !== 'running') throw await failure();
    if (stdin.write(bytes)) return;
    // Wait for the pipe to drain, or for the encoder to die trying.
    const drained = await Promise.race([
      new Promise<true>((r) => stdin.once('drain', () => r(true))),
      child.exited.then(() => false as const),
    ]);
    if (!drained) throw await failure();
  };
  return { send, failure, pipeBroken: (): boolean => pipeError !== null };
};

export const createEncoderSink = (o: EncoderSinkOptions): EncoderSink => {
  const toStdout = o.output === '-';
  const direct = toStdout || isUrl(o.output) || o.muxer === 'hls';
  // Created before the encoder starts, so that at exit the encoder is killed before its file is removed.
  const tempFile = direct ? null : createTempFile(o.output);
  const temp = tempFile?.path ?? null;
  const plan = encoderArgs({
    info: o.info,
    format: o.format,
    target: temp ?? (toStdout ? 'pipe:1' : o.output),
    muxer: o.muxer,
    settings: o.settings,
    keepStreams: o.keepStreams,
    ffmpegMajor: o.ffmpegMajor,
    sideTracks: o.sideTracks ?? [],
    live: o.live ?? null,
  });
  const sideTracks = o.sideTracks ?? [];
  const trackNumber = new Map(sideTracks.map((t, i) => [t.track, sideTrackNumber(i)]));
  const packets: SidePacket[] = [];
  for (const w of plan.warnings) o.onWarning?.(w);
  const child = spawnEncoder(o.ffmpeg, plan.args, !toStdout ? 'ignore' : o.pipeOutput ? 'pipe' : 'inherit');
  const stdin = child.process.stdin!;
  const { send, failure, pipeBroken } = encoderPipe(child, temp, o.output);

  // If the process exits without finish/abort (a second Ctrl-C calls process.exit), the job runner kills the
  // encoder before it turns the closed stdin into a finished file, and the temporary file is removed (at-exit).

  let started = false;
  // Set by abort: a finish still waiting for the encoder must then not move its file into place.
  let aborted = false;
  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    await send(matroskaHeader(o.format, o.info.color, sideTracks));
  };
  /** Writes the queued packets up to `untilMs` (all of them without it), in timestamp order. */
  const flushPackets = async (untilMs = Infinity): Promise<void> => {
    while (packets.length && (packets[0] as SidePacket).ptsMs <= untilMs) {
      const p = packets.shift() as SidePacket;
      const track = trackNumber.get(p.track);
      if (track === undefined) continue;
      await send(matroskaBlockHeader(track, p.data.byteLength, p.ptsMs, p.keyframe, p.durationMs));
      await send(p.data);
    }
  };

  return {
    encoded: toStdout && o.pipeOutput ? child.process.stdout : null,
    writePacket: (p) => {
      // Packets of one track arrive in order; across tracks a late one is put in its place.
      let i = packets.length;
      while (i > 0 && (packets[i - 1] as SidePacket).ptsMs > p.ptsMs) i--;
      packets.splice(i, 0, p);
    },
    write: async (frame: Frame) => {
      await start();
      await flushPackets(frame.ptsMs ?? 0);
      await send(matroskaFrameHeader(frame.bytes.byteLength, frame.ptsMs ?? 0));
      await send(frame.bytes);
    },
    finish: async () => {
      if (started) await flushPackets();
      stdin.end();
      await o.onFlush?.();
      const state = await child.exited;
      // Stopped while ffmpeg was finishing: even if it has finished, the run reports that nothing was written.
      if (aborted) {
        tempFile?.abort();
        throw new AbortedError();
      }
      if (state.kind !== 'exited-ok' || pipeBroken()) {
        tempFile?.abort();
        throw await failure();
      }
      try {
        tempFile?.commit();
      } catch (err) {
        throw new OutputError(`cannot move the finished output to ${o.output}: ${(err as Error).message}`);
      }
    },
    abort: async () => {
      aborted = true;
      stdin.destroy();
      child.process.stdout?.destroy(); // a piped output nobody reads would keep the encoder from closing
      await child.stop();
      tempFile?.abort();
    },
  };
};

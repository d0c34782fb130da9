/**
 * A FrameSource over the decoder: spawn on subscribe, split Matroska into frames, and hold at most
 * `highWater` frames in flight by pausing the splitter and the decoder's stdout (the decoder then blocks on
 * its pipe). Not RxJS `from(stream)` or a Subject fed by 'data': those buffer the whole video.
 */
import { Observable } from 'rxjs';
import { DecodeError, InputError, tailLines } from '../errors.js';
import { frameByteLength, makeFrame, type Frame, type FrameFormat } from '../pipeline/frame.js';
import type { FrameSource } from '../pipeline/ports.js';
import { decoderArgs, type DecoderArgsOptions } from './decoder-args.js';
import { probeFrameSize } from '../ffmpeg/probe-input.js';
import { failureWords, type EndedState } from '../ffmpeg/child-state.js';
import { spawnDecoder } from '../ffmpeg/spawn-decoder.js';
import { FrameSizeChangedError, MatroskaFrameSplitter } from './split-frames.js';

export interface FrameSourceOptions extends Omit<DecoderArgsOptions, 'pixFmt'> {
  readonly ffmpeg: string;
  /** With it, a picture size that changes mid-stream is named in the error (without it, its byte count). */
  readonly ffprobe?: string;
  readonly format: FrameFormat;
  readonly highWater: number;
}

/** What a decoder's end means for the run: an error (killed, nothing decodable, damaged), or null when it finished. */
const decoderFailure = (input: string, state: EndedState, decoded: number): Error | null => {
  if (state.kind === 'exited-error') {
    const why = failureWords(state);
    // Killed from outside (a signal, no message of its own): not the file's fault.
    if (state.signal && !tailLines(state.stderrTail, 1)) {
      return new DecodeError(`${input}: the decoder (ffmpeg) was killed by ${state.signal} after ${decoded} frames`);
    }
    if (decoded === 0) {
      return new InputError(`${input}: no frame of its video stream could be decoded (the stream is empty or unreadable; ffmpeg: ${why})`);
    }
    return new DecodeError(`${input}: decoding failed after ${decoded} frames; the file is damaged or truncated (ffmpeg: ${why})`);
  }
  return decoded === 0 ? new InputError(`${input}: the decoder produced no frames; is it an empty or audio-only file?`) : null;
};

/** What the splitter threw, as the run's error. */
const splitError = (o: FrameSourceOptions, err: unknown): Error | Promise<Error> =>
  err instanceof FrameSizeChangedError ? sizeChanged(o, err) : new DecodeError(`${o.input}: ${(err as Error).message}`);

/** A frame of another size than the first (the decoder passes it as it is, see decoder-args.ts), named. */
const sizeChanged = async (o: FrameSourceOptions, e: FrameSizeChangedError): Promise<Error> => {
  const size = o.ffprobe ? await probeFrameSize(o.ffprobe, o.input, o.videoStreamIndex, e.ptsMs) : null;
  const first = `${o.format.width}x${o.format.height}`;
  return new DecodeError(
    `${o.input}: the picture size changes mid-stream, from ${first} to ${size ? `${size.width}x${size.height}` : `frames of ${e.bytes} bytes`} ` +
      `at frame ${e.frame} (${(e.ptsMs / 1000).toFixed(3)} s); srvid upscales one size a run: cut the video there, ` +
      `or scale it to one size first (e.g. ffmpeg -i IN -vf scale=${o.format.width}:${o.format.height} OUT.mkv)`,
  );
};

export const createFrameSource = (o: FrameSourceOptions): FrameSource & { readonly inFlight: () => number } => {
  let inFlight = 0;
  let resume: (() => void) | null = null;

  const frames = (): Observable<Frame> =>
    new Observable<Frame>((subscriber) => {
      const child = spawnDecoder(o.ffmpeg, decoderArgs({ ...o, pixFmt: o.format.pixFmt }));
      const stdout = child.process.stdout!;
      const splitter = new MatroskaFrameSplitter(frameByteLength(o.format), (bytes, ptsMs) => {
        inFlight++;
        if (inFlight >= o.highWater) {
          splitter.pause();
          stdout.pause();
        }
        subscriber.next(makeFrame(splitter.frames - 1, ptsMs, o.format, bytes));
      });
      let exitedOk = false;
      // Complete only once the decoder is done and the splitter has handed out every frame it kept back;
      // only then can a stream cut inside a frame be told from one still being read.
      const maybeComplete = (): void => {
        if (!exitedOk || splitter.isPaused || subscriber.closed) return;
        try {
          splitter.end();
        } catch (err) {
          return fail(splitError(o, err));
        }
        subscriber.complete();
      };
      resume = () => {
        if (!splitter.isPaused || inFlight >= o.highWater) return;
        try {
          splitter.resume();
        } catch (err) {
          return fail(splitError(o, err));
        }
        if (!splitter.isPaused) stdout.resume();
        maybeComplete();
      };
      let failed = false;
      const fail = (err: Error | Promise<Error>): void => {
        if (failed) return;
        failed = true;
        stdout.pause(); // nothing more is read; the teardown stops the decoder
        void Promise.resolve(err).then((e) => subscriber.error(e));
      };
      stdout.on('data', (chunk: Buffer) => {
        try {
          splitter.push(chunk);
          if (splitter.isPaused) stdout.pause();
        } catch (err) {
          fail(splitError(o, err));
        }
      });
      void child.exited.then((state) => {
        if (failed || subscriber.closed) return;
        const failure = decoderFailure(o.input, state, splitter.frames);
        if (failure) return fail(failure);
        exitedOk = true;
        maybeComplete();
      });
      return () => {
        resume = null;
        // Closing our end first: a decoder blocked on the full pipe gets EPIPE and exits at once, and a
        // paused stdout no longer keeps the child's 'close' from firing.
        stdout.removeAllListeners('data');
        stdout.destroy();
        void child.stop();
      };
    });

  return {
    format: o.format,
    highWater: o.highWater,
    frames,
    release: () => {
      inFlight--;
      resume?.();
    },
    inFlight: () => inFlight,
  };
};

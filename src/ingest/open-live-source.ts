/**
 * A live input, read once by one decoder: started at once (not on subscribe), so the run learns the frame
 * size from the decoder's own header instead of probing (a second reader a live source cannot serve). The
 * decoder is never paused: a network reader that waits loses data, so keeping up is the pipeline's job (see
 * upscale-live.ts). Audio and subtitle cues arrive as side packets, for the encoder to mux in step with the
 * frames. When ffmpeg cannot put a subtitle stream in its Matroska pipe, a decoder is started again with other
 * subtitle choices (live-subtitles.ts), reading stdin again from its start (replay-stdin.ts).
 */
import { Observable, type Subscriber } from 'rxjs';
import { InputError, tailLines } from '../errors.js';
import type { ChildState, WatchedChild } from '../ffmpeg/child-state.js';
import { spawnDecoder } from '../ffmpeg/spawn-decoder.js';
import { frameByteLength, makeFrame, type Frame, type FrameFormat } from '../pipeline/frame.js';
import type { FrameSource, SidePacket } from '../pipeline/ports.js';
import { liveDecoderArgs, type LiveDecoderArgsOptions, type LiveSubtitles } from './decoder-args.js';
import { createFrameHold } from './hold-frames.js';
import { decoderErrors, isSubtitleFailure, nextSubtitleChoice } from './live-subtitles.js';
import { INDEX_AT_END, mp4IndexAtEnd } from './mp4-index.js';
import { feedStdin, STDIN_REPLAY_CAP } from './replay-stdin.js';
import { createPacingGauge, type Pacing } from './stdin-pacing.js';
import { MatroskaFrameSplitter, type DecoderTracks } from './split-frames.js';

export interface LiveSourceOptions extends Omit<LiveDecoderArgsOptions, 'input' | 'subtitles'> {
  readonly ffmpeg: string;
  /** A URL, or '-' for srvid's stdin. */
  readonly input: string;
  /** How long to wait for the first frame's header before giving up. */
  readonly connectTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** The input ended with an error after frames were read (a dropped connection): the run ends cleanly. */
  readonly onEnded?: (message: string) => void;
  /**
   * Reconnect attempts after the input drops (0: none): each waits `connectTimeoutMs` for video, after a
   * backoff of 0.5, 1, 2, 4 s…; timestamps carry on from the last frame, so the output continues.
   */
  readonly reconnectAttempts?: number;
  /** Told of each drop and reconnection. */
  readonly onReconnect?: (message: string) => void;
  /** Told of subtitle streams converted or left out, once a decoder runs. */
  readonly onWarning?: (message: string) => void;
  /** stdin: tell a real-time producer from a file on a pipe (see stdin-pacing.ts); otherwise it is real time. */
  readonly detectPacing?: boolean;
}

export interface LiveSource extends FrameSource {
  readonly tracks: DecoderTracks;
  /** Audio and subtitle packets go here as they arrive (those read before this is called are kept for it). */
  onPacket(handler: (p: SidePacket) => void): void;
  /** Stops the decoder (when the run fails before subscribing). */
  close(): Promise<void>;
  /** Whether the input arrives in real time or runs ahead of its timestamps (a file on a pipe). */
  pacing(): Promise<Pacing>;
  /** From now on, at most `highWater` frames are out and not released; the decoder (and stdin) wait beyond. */
  hold(highWater: number): void;
}

/** ffmpeg looks at about a second of a live input before its first frame (decoderArgs' -analyzeduration). */
const PROBE_ALLOWANCE_MS = 2000;
/** The start of a decoder's log that is kept: the input's stream list, read when a subtitle stream ended it. */
const LOG_HEAD_CHARS = 64 * 1024;

export const openLiveSource = (o: LiveSourceOptions): Promise<LiveSource> =>
  new Promise<LiveSource>((resolveOpen, rejectOpen) => {
    const stdin =
      o.input === '-' ? feedStdin(process.stdin, STDIN_REPLAY_CAP, (head) => mp4IndexAtEnd(head) && giveUp(INDEX_AT_END)) : null;
    let format: FrameFormat | null = null;
    let subscriber: Subscriber<Frame> | null = null;
    const early: Frame[] = [];
    let packetHandler: ((p: SidePacket) => void) | null = null;
    const earlyPackets: SidePacket[] = [];
    let opened = false;
    let failure: Error | null = null;
    let ended = false;
    let stopped = false;
    let frames = 0; // across reconnections
    let lastPtsMs: number | null = null;
    let stepMs = 40; // the shortest frame interval seen: where a reconnected stream's first frame goes
    let seenStep = false;
    let child: WatchedChild | null = null;
    let failedAttempts = 0;
    let subtitles: LiveSubtitles = { kind: 'all' };
    let subtitleWarnings: string[] = []; // said once a decoder with these choices runs
    // stdin's pacing, decided from its first frames; until then they are read as they come (never paused).
    const gauge = o.detectPacing && stdin ? createPacingGauge() : null;
    const hold = createFrameHold();

    const emit = (frame: Frame): void => void (subscriber ? subscriber.next(frame) : early.push(frame));
    const fail = (err: Error): void => {
      failure = err;
      gauge?.decide('ahead'); // nothing to wait for: the subscriber gets the error
      subscriber?.error(err);
    };
    const end = (): void => {
      ended = true;
      gauge?.decide('ahead'); // every frame has arrived: none need be dropped
      stdin?.close();
      subscriber?.complete();
    };
    const giveUp = (why: string): void => {
      if (opened) return;
      opened = true;
      stopped = true; // no decoder after this one: neither a reconnection nor another subtitle choice
      clearTimeout(timer);
      stdin?.close();
      void child?.stop(500);
      rejectOpen(new InputError(why));
    };
    const noVideo = `${o.input}: no video arrived within ${Math.round(o.connectTimeoutMs / 1000)} s; check the address and that the stream is running (--connect-timeout sets the wait)`;
    const waitForVideo = (): NodeJS.Timeout => setTimeout(() => giveUp(noVideo), o.connectTimeoutMs + PROBE_ALLOWANCE_MS);
    let timer = waitForVideo();
    const onAbort = (): void => {
      gauge?.decide('real-time'); // the run goes on to its abort
      giveUp('stopped before the input started');
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });

    /** One decoder: the first, or one after a drop, whose timestamps are moved to carry on from the last frame. */
    const session = (reconnected: boolean): void => {
      const args = liveDecoderArgs({ ...o, input: stdin ? 'pipe:0' : o.input, subtitles });
      const decoder = spawnDecoder(o.ffmpeg, args, stdin?.next() ?? undefined);
      child = decoder;
      const stdout = decoder.process.stdout!;
      let log = '';
      decoder.process.stderr?.on('data', (text: string) => void (log.length < LOG_HEAD_CHARS && (log += text)));
      let offsetMs: number | null = reconnected ? null : 0;
      let sessionFrames = 0;
      let sessionTracks = false;
      const shift = (ptsMs: number): number => {
        offsetMs ??= (lastPtsMs ?? 0) + stepMs - ptsMs;
        return ptsMs + offsetMs;
      };
      const splitter = new MatroskaFrameSplitter(
        0,
        (bytes, ptsMs) => {
          const t = shift(ptsMs);
          // The frame interval, from this session's own frames (a reconnection's first frame follows the gap).
          if (lastPtsMs !== null && t > lastPtsMs && sessionFrames > 0) stepMs = seenStep ? Math.min(stepMs, t - lastPtsMs) : t - lastPtsMs;
          seenStep ||= lastPtsMs !== null && sessionFrames > 0;
          lastPtsMs = t;
          sessionFrames++;
          failedAttempts = 0;
          stdin?.settle();
          hold.out();
          emit(makeFrame(frames++, t, format as FrameFormat, bytes));
          gauge?.frame(t, performance.now(), stdin?.waitedMs() ?? 0, early.length * bytes.length);
        },
        {
          onTracks: (tracks) => {
            if (!tracks.video) return;
            sessionTracks = true;
            for (const w of subtitleWarnings.splice(0)) o.onWarning?.(w);
            if (!format) {
              format = { width: tracks.video.width, height: tracks.video.height, pixFmt: o.pixFmt };
              opened = true;
              clearTimeout(timer);
              resolveOpen(source(tracks));
            } else if (tracks.video.width !== format.width || tracks.video.height !== format.height) {
              fail(
                new InputError(
                  `${o.input}: the stream came back at ${tracks.video.width}x${tracks.video.height}, not ${format.width}x${format.height}; srvid cannot change size mid-run`,
                ),
              );
              void decoder.stop(500);
            }
            return frameByteLength(format);
          },
          onPacket: (p) => {
            const q = { ...p, ptsMs: shift(p.ptsMs) };
            if (packetHandler) packetHandler(q);
            else earlyPackets.push(q);
          },
        },
      );
      const { afterKept } = hold.read(splitter, stdout);
      stdout.on('data', (chunk: Buffer) => {
        try {
          splitter.push(chunk);
          if (splitter.isPaused) stdout.pause();
        } catch (err) {
          fail(new InputError(`${o.input}: ${(err as Error).message}`));
          void decoder.stop(500);
        }
      });
      const exitedWith = (state: ChildState): void => {
        if (stopped || failure) return;
        const errors = state.kind === 'exited-error' ? decoderErrors(state.stderrTail) : '';
        const why = state.kind === 'exited-error' ? tailLines(errors, 2) || `exit code ${state.code ?? state.signal}` : null;
        // Ended at its start by a subtitle stream its Matroska pipe cannot hold: again, with other choices.
        const retry = !sessionTracks && isSubtitleFailure(log, errors) ? nextSubtitleChoice(subtitles, log, errors) : null;
        if (retry && stdin && !stdin.replayable) {
          const message = `${o.input}: ffmpeg could not put the input's subtitles in srvid's live pipe (ffmpeg: ${why}), and the ${STDIN_REPLAY_CAP / 2 ** 20} MiB of stdin it read before failing are more than srvid keeps to start it again; run with --no-live`;
          return opened ? fail(new InputError(message)) : giveUp(message);
        }
        if (retry) {
          subtitles = retry.subtitles;
          subtitleWarnings = retry.warnings;
          if (!opened) {
            clearTimeout(timer);
            timer = waitForVideo();
          }
          return session(reconnected);
        }
        if (!opened) {
          // A network reader that times out reports an I/O error: that is "nothing arrived", said plainly.
          if (why === null || /Input\/output error|timed out/i.test(why)) return giveUp(noVideo);
          return giveUp(`${o.input}: cannot read it as a live video (ffmpeg: ${why})`);
        }
        if (sessionFrames === 0) failedAttempts++;
        if (failedAttempts < (o.reconnectAttempts ?? 0) && !stdin && !o.signal?.aborted) {
          const backoffMs = 500 * 2 ** Math.min(failedAttempts, 4);
          o.onReconnect?.(`${o.input}: the input dropped (${why ?? 'it ended'}); reconnecting in ${(backoffMs / 1000).toFixed(1)} s`);
          setTimeout(() => stopped || session(true), backoffMs);
          return;
        }
        if (why !== null && frames > 0) {
          o.onEnded?.(`${o.input}: the input ended with an error after ${frames} frames (ffmpeg: ${why}); the output is closed cleanly`);
        }
        end();
      };
      // Held back, the splitter may keep frames after the decoder has exited: they go out first.
      void decoder.exited.then((state) => afterKept(() => exitedWith(state)));
    };
    session(false);

    const stop = async (): Promise<void> => {
      stopped = true;
      stdin?.close();
      o.signal?.removeEventListener('abort', onAbort);
      const c = child;
      c?.process.stdout?.removeAllListeners('data');
      c?.process.stdout?.destroy();
      await c?.stop(500);
    };

    const source = (tracks: DecoderTracks): LiveSource => ({
      format: format as FrameFormat,
      get highWater() {
        return hold.limit;
      },
      tracks,
      onPacket: (handler) => {
        packetHandler = handler;
        for (const p of earlyPackets.splice(0)) handler(p);
      },
      close: stop,
      frames: () =>
        new Observable<Frame>((sub) => {
          subscriber = sub;
          for (const f of early.splice(0)) sub.next(f);
          if (failure) sub.error(failure);
          else if (ended) sub.complete();
          return () => {
            subscriber = null;
            void stop();
          };
        }),
      release: () => {
        try {
          hold.back();
        } catch (err) {
          fail(new InputError(`${o.input}: ${(err as Error).message}`));
        }
      },
      pacing: () => gauge?.decided ?? Promise.resolve('real-time'),
      hold: (highWater) => hold.set(highWater),
    });
  });

/**
 * A live input, read once by one decoder: started at once (not on subscribe), so the run learns the frame
 * size from the decoder's own header instead of probing (a second reader a live source cannot serve). The
 * decoder is never paused: a network reader that waits loses data, so keeping up is the pipeline's job (see
 * upscale-live.ts). Audio and subtitle cues arrive as side packets, for the encoder to mux in step with the
 * frames. When ffmpeg cannot put a subtitle stream in its Matroska pipe, a decoder is started again with other
 * subtitle choices (live-subtitles.ts), reading a stream input again from its start (replay-stdin.ts). Its
 * states and their transitions are live-state.ts's; this module acts on each.
 */
import { Observable } from 'rxjs';
import { InputError, tailLines } from '../errors.js';
import type { ChildState, WatchedChild } from '../ffmpeg/child-state.js';
import { spawnDecoder } from '../ffmpeg/spawn-decoder.js';
import { frameByteLength, makeFrame, type Frame, type FrameFormat } from '../pipeline/frame.js';
import type { FrameSource, SidePacket } from '../pipeline/ports.js';
import { liveDecoderArgs, type LiveDecoderArgsOptions, type LiveSubtitles } from './decoder-args.js';
import { createFrameHold, type FrameHold } from './hold-frames.js';
import { createLiveOutlet, type LiveOutlet } from './live-outlet.js';
import { INITIAL_LIVE_STATE, isOver, transition, type LiveEvent, type LiveState } from './live-state.js';
import { decoderErrors, isSubtitleFailure, nextSubtitleChoice } from './live-subtitles.js';
import { createLiveTimeline, type DecoderClock, type LiveTimeline } from './live-timeline.js';
import { INDEX_AT_END, mp4IndexAtEnd } from './mp4-index.js';
import { feedStdin, STDIN_REPLAY_CAP, type StdinFeed } from './replay-stdin.js';
import { createPacingGauge, type Pacing, type PacingGauge } from './stdin-pacing.js';
import { MatroskaFrameSplitter, type DecoderTracks } from './split-frames.js';

export interface LiveSourceOptions extends Omit<LiveDecoderArgsOptions, 'input' | 'subtitles'> {
  readonly ffmpeg: string;
  /** A URL, or the name of `stream` in messages ('-' for srvid's stdin). */
  readonly input: string;
  /** The bytes to decode when the input is a stream (srvid's stdin, a library caller's Readable), not a URL. */
  readonly stream?: NodeJS.ReadableStream;
  /** How long to wait for the first frame's header before giving up. */
  readonly connectTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** The input ended with an error after frames were read (a dropped connection): the run ends cleanly. */
  readonly onEnded?: (message: string) => void;
  /**
   * Reconnect attempts after the input drops (0: none): each waits `connectTimeoutMs` for video, after a
   * backoff of 0.5, 1, 2, 4 s…; timestamps carry on from the last frame, so the output continues.
   */
  readonly reconnectAttempts: number;
  /** Told of each drop and reconnection. */
  readonly onReconnect?: (message: string) => void;
  /** Told of subtitle streams converted or left out, once a decoder runs. */
  readonly onWarning?: (message: string) => void;
  /** A stream: tell a real-time producer from a file on a pipe (see stdin-pacing.ts); otherwise it is real time. */
  readonly detectPacing?: boolean;
  /** Each frame decoded before the pipeline subscribes, as it arrives (kept for the subscriber all the same). */
  readonly onEarlyFrame?: (f: Frame) => void;
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

/** One live source's parts: its state (live-state.ts), and what each transition acts on. */
interface Live {
  readonly o: LiveSourceOptions;
  state: LiveState;
  /** Set when video arrives: every decoder after the first must deliver this size. */
  format: FrameFormat | null;
  child: WatchedChild | null;
  timer: NodeJS.Timeout | undefined;
  subtitles: LiveSubtitles;
  /** Said once a decoder with these subtitle choices runs. */
  subtitleWarnings: string[];
  stdin: StdinFeed | null;
  /** A stream's pacing, decided from its first frames; until then they are read as they come (never paused). */
  gauge: PacingGauge | null;
  readonly hold: FrameHold;
  readonly outlet: LiveOutlet;
  readonly timeline: LiveTimeline;
  readonly open: { resolve: (s: LiveSource) => void; reject: (err: Error) => void };
  readonly onAbort: () => void;
}

/** Applies `e`; false when it does not apply in the current state (the caller then does nothing). */
const to = (live: Live, e: LiveEvent): boolean => {
  const next = transition(live.state, e);
  if (next) live.state = next;
  return next !== null;
};

const noVideo = (o: LiveSourceOptions): string =>
  `${o.input}: no video arrived within ${Math.round(o.connectTimeoutMs / 1000)} s; check the address and that the stream is running (--connect-timeout sets the wait)`;

const waitForVideo = (live: Live): void => {
  clearTimeout(live.timer);
  live.timer = setTimeout(() => giveUp(live, noVideo(live.o)), live.o.connectTimeoutMs + PROBE_ALLOWANCE_MS);
};

/** Before video: the open rejects, and no decoder follows this one (neither a reconnection nor another subtitle choice). */
const refuse = (live: Live, error: Error): void => {
  clearTimeout(live.timer);
  live.stdin?.close();
  live.o.signal?.removeEventListener('abort', live.onAbort);
  void live.child?.stop(500);
  live.open.reject(error);
};

const giveUp = (live: Live, why: string): void => {
  const error = new InputError(why);
  if (to(live, { type: 'give-up', error })) refuse(live, error);
};

const fail = (live: Live, error: Error): void => {
  const before = live.state.kind === 'connecting';
  if (!to(live, { type: 'fail', error })) return;
  if (before) return refuse(live, error);
  live.gauge?.decide('ahead'); // nothing to wait for: the subscriber gets the error
  live.outlet.error(error);
};

const end = (live: Live): void => {
  live.gauge?.decide('ahead'); // every frame has arrived: none need be dropped
  live.stdin?.close();
  live.outlet.complete();
};

/** A decoder's header: the first video opens the source; a later one must keep its size. */
const onTracks = (live: Live, tracks: DecoderTracks, decoder: WatchedChild): number | undefined => {
  const { o } = live;
  if (!tracks.video) return undefined;
  for (const w of live.subtitleWarnings.splice(0)) o.onWarning?.(w);
  if (to(live, { type: 'video' })) {
    live.format = { width: tracks.video.width, height: tracks.video.height, pixFmt: o.pixFmt };
    clearTimeout(live.timer);
    live.open.resolve(sourceOf(live, tracks));
  } else if (live.format && (tracks.video.width !== live.format.width || tracks.video.height !== live.format.height)) {
    const was = `${live.format.width}x${live.format.height}`;
    fail(
      live,
      new InputError(
        `${o.input}: the stream came back at ${tracks.video.width}x${tracks.video.height}, not ${was}; srvid cannot change size mid-run`,
      ),
    );
    void decoder.stop(500);
  }
  return live.format ? frameByteLength(live.format) : undefined;
};

const onFrame = (live: Live, clock: DecoderClock, bytes: Uint8Array, ptsMs: number): void => {
  if (!to(live, { type: 'frame' })) return;
  const t = clock.shift(ptsMs);
  const index = clock.frame(t);
  live.stdin?.settle();
  live.hold.out();
  live.outlet.frame(makeFrame(index, t, live.format as FrameFormat, bytes));
  live.gauge?.frame(t, performance.now(), live.stdin?.waitedMs() ?? 0, live.outlet.waiting * bytes.length);
};

/** One decoder: the first, or one after a drop, whose timestamps are moved to carry on from the last frame. */
const startDecoder = (live: Live, reconnected: boolean): void => {
  const { o, stdin } = live;
  const args = liveDecoderArgs({ ...o, input: stdin ? 'pipe:0' : o.input, subtitles: live.subtitles });
  const decoder = spawnDecoder(o.ffmpeg, args, stdin?.next() ?? undefined);
  live.child = decoder;
  const stdout = decoder.process.stdout!;
  let log = '';
  decoder.process.stderr?.on('data', (text: string) => void (log.length < LOG_HEAD_CHARS && (log += text)));
  const clock = live.timeline.decoder(reconnected);
  let sawVideo = false;
  const splitter = new MatroskaFrameSplitter(0, (bytes, ptsMs) => onFrame(live, clock, bytes, ptsMs), {
    onTracks: (tracks) => {
      sawVideo ||= Boolean(tracks.video);
      return onTracks(live, tracks, decoder);
    },
    onPacket: (p) => live.outlet.packet({ ...p, ptsMs: clock.shift(p.ptsMs) }),
  });
  const { afterKept } = live.hold.read(splitter, stdout);
  stdout.on('data', (chunk: Buffer) => {
    try {
      splitter.push(chunk);
      if (splitter.isPaused) stdout.pause();
    } catch (err) {
      fail(live, new InputError(`${o.input}: ${(err as Error).message}`));
      void decoder.stop(500);
    }
  });
  // Held back, the splitter may keep frames after the decoder has exited: they go out first.
  const exit = { reconnected, clock, log: () => log, sawVideo: () => sawVideo };
  void decoder.exited.then((state) => afterKept(() => onExit(live, exit, state)));
};

interface DecoderExit {
  readonly reconnected: boolean;
  readonly clock: DecoderClock;
  readonly log: () => string;
  readonly sawVideo: () => boolean;
}

/** A decoder exited: again with other subtitle choices, give up before video, reconnect, or end. */
const onExit = (live: Live, d: DecoderExit, state: ChildState): void => {
  const { o, stdin } = live;
  if (isOver(live.state)) return;
  const errors = state.kind === 'exited-error' ? decoderErrors(state.stderrTail) : '';
  const why = state.kind === 'exited-error' ? tailLines(errors, 2) || `exit code ${state.code ?? state.signal}` : null;
  // Ended at its start by a subtitle stream its Matroska pipe cannot hold: again, with other choices.
  const retry = !d.sawVideo() && isSubtitleFailure(d.log(), errors) ? nextSubtitleChoice(live.subtitles, d.log(), errors) : null;
  if (retry && stdin && !stdin.replayable) {
    const kept = `${STDIN_REPLAY_CAP / 2 ** 20} MiB`;
    return fail(
      live,
      new InputError(
        `${o.input}: ffmpeg could not put the input's subtitles in srvid's live pipe (ffmpeg: ${why}), and the ${kept} of stdin it read before failing are more than srvid keeps to start it again; run with --no-live`,
      ),
    );
  }
  if (retry) {
    live.subtitles = retry.subtitles;
    live.subtitleWarnings = retry.warnings;
    if (live.state.kind === 'connecting') waitForVideo(live);
    return startDecoder(live, d.reconnected);
  }
  if (live.state.kind === 'connecting') {
    // A network reader that times out reports an I/O error: that is "nothing arrived", said plainly.
    if (why === null || /Input\/output error|timed out/i.test(why)) return giveUp(live, noVideo(o));
    return giveUp(live, `${o.input}: cannot read it as a live video (ffmpeg: ${why})`);
  }
  const attempts = stdin || o.signal?.aborted ? 0 : o.reconnectAttempts;
  if (!to(live, { type: 'exited', gotFrames: d.clock.frames > 0, attempts })) return;
  if (live.state.kind === 'reconnecting') {
    const backoffMs = 500 * 2 ** Math.min(live.state.failedAttempts, 4);
    o.onReconnect?.(`${o.input}: the input dropped (${why ?? 'it ended'}); reconnecting in ${(backoffMs / 1000).toFixed(1)} s`);
    setTimeout(() => live.state.kind === 'reconnecting' && startDecoder(live, true), backoffMs);
    return;
  }
  const frames = live.timeline.frames;
  if (why !== null && frames > 0) {
    o.onEnded?.(`${o.input}: the input ended with an error after ${frames} frames (ffmpeg: ${why}); the output is closed cleanly`);
  }
  end(live);
};

const stop = async (live: Live): Promise<void> => {
  to(live, { type: 'stop' });
  live.stdin?.close();
  live.o.signal?.removeEventListener('abort', live.onAbort);
  const c = live.child;
  c?.process.stdout?.removeAllListeners('data');
  c?.process.stdout?.destroy();
  await c?.stop(500);
};

const sourceOf = (live: Live, tracks: DecoderTracks): LiveSource => ({
  format: live.format as FrameFormat,
  get highWater() {
    return live.hold.limit;
  },
  tracks,
  onPacket: (handler) => live.outlet.connect(handler),
  close: () => stop(live),
  frames: () =>
    new Observable<Frame>((sub) => {
      live.outlet.subscribe(sub);
      if (live.state.kind === 'failed') sub.error(live.state.error);
      else if (live.state.kind === 'ended') sub.complete();
      return () => {
        live.outlet.subscribe(null);
        void stop(live);
      };
    }),
  release: () => {
    try {
      live.hold.back();
    } catch (err) {
      fail(live, new InputError(`${live.o.input}: ${(err as Error).message}`));
    }
  },
  pacing: () => live.gauge?.decided ?? Promise.resolve('real-time'),
  hold: (highWater) => live.hold.set(highWater),
});

export const openLiveSource = (o: LiveSourceOptions): Promise<LiveSource> =>
  new Promise<LiveSource>((resolve, reject) => {
    const live: Live = {
      o,
      state: INITIAL_LIVE_STATE,
      format: null,
      child: null,
      timer: undefined,
      subtitles: { kind: 'all' },
      subtitleWarnings: [],
      stdin: null,
      gauge: null,
      hold: createFrameHold(),
      outlet: createLiveOutlet(o.onEarlyFrame),
      timeline: createLiveTimeline(),
      open: { resolve, reject },
      onAbort: () => {
        live.gauge?.decide('real-time'); // the run goes on to its abort
        giveUp(live, 'stopped before the input started');
      },
    };
    if (o.stream) {
      live.stdin = feedStdin(o.stream, STDIN_REPLAY_CAP, (head) => mp4IndexAtEnd(head) && giveUp(live, INDEX_AT_END));
      live.gauge = o.detectPacing ? createPacingGauge() : null;
    }
    waitForVideo(live);
    o.signal?.addEventListener('abort', live.onAbort, { once: true });
    startDecoder(live, false);
  });

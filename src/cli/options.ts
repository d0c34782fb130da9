/**
 * Every option, declared once: flag, argument, description, default and parser. The table is typed against
 * CliOptions, so a key that is not an option, or a parser that returns the wrong type, is a compile error; it
 * feeds the parser, --help and docs/cli.md.
 */
import {
  AUTO_MODEL,
  BACKENDS,
  checkModelFamily,
  checkScale,
  FILE_PRESET,
  LIVE_PRESET,
  DEFAULT_TILE_PIXELS,
  WHEN_BEHIND,
  DEVICES,
  MODEL_FAMILIES,
  MODEL_SUMMARIES,
  DEFAULTS_IN_WORDS,
  SCALE_LIST,
  type MonitorAddress,
  type Scale,
} from '../api/choices.js';
import { UsageError } from '../errors.js';
import { parseQueueUrl } from '../api/upscale-segmented.js';
import { RECONNECT_ATTEMPTS_WHEN_ASKED, RUN_DEFAULTS } from '../api/run-options.js';

interface BaseSpec {
  readonly flag: `--${string}`;
  readonly short?: `-${string}`;
  readonly description: string;
  /** How --help shows the default, where the value is kept in another unit (milliseconds shown as seconds). */
  readonly shownDefault?: string;
}
/** A switch: present means true. */
interface SwitchSpec extends BaseSpec {
  readonly arg?: undefined;
  readonly default: false;
}
/** An option with a value: any string unless a parser says otherwise. */
interface ValueSpec extends BaseSpec {
  readonly arg: string;
  readonly default?: unknown;
  readonly parse?: (value: string, flag: string) => unknown;
}
export type OptionSpec = SwitchSpec | ValueSpec;

/** An option's value: what its parser returns, a string without one, true or false for a switch. */
type ValueOf<S> = S extends { readonly parse: (value: string, flag: string) => infer T }
  ? T
  : S extends { readonly arg: string }
    ? string
    : boolean;
type Table = typeof OPTIONS;
type Defaulted = { [K in keyof Table]: Table[K] extends { readonly default: unknown } ? K : never }[keyof Table];

/**
 * The parsed options, typed from the table itself: an option with a default is always set, the others only
 * when given. Adding an option is one row below (and, for the library, its field and default in src/api).
 */
export type CliOptions = { -readonly [K in Defaulted]: ValueOf<Table[K]> } & {
  -readonly [K in Exclude<keyof Table, Defaulted>]?: ValueOf<Table[K]>;
};

const int =
  (min: number, max: number) =>
  (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not "${v}"`);
    return n;
  };

const oneOf =
  <T extends string>(choices: readonly T[]) =>
  (v: string, flag: string): T => {
    if (!(choices as readonly string[]).includes(v)) throw new UsageError(`${flag} takes one of ${choices.join(', ')}, not "${v}"`);
    return v as T;
  };

const asScale = (v: string, flag: string): Scale => {
  const n = Number(v);
  try {
    return checkScale(n);
  } catch {
    throw new UsageError(`unsupported scale "${v}" for ${flag}; use ${SCALE_LIST}`);
  }
};

/** `[host:]port`, an IPv6 host in brackets; the host defaults to 127.0.0.1 (the dashboard is not shared unless asked). */
export const parseMonitorAddress = (v: string, flag = '--monitor'): MonitorAddress => {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${flag} takes [host:]port (such as 8080 or 0.0.0.0:8080), not "${v}"`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
};

export const OPTIONS = {
  scale: { flag: '--scale', short: '-s', arg: 'N', description: `upscaling factor: ${SCALE_LIST}`, default: 2, parse: asScale },
  overwrite: { flag: '--overwrite', short: '-y', description: 'overwrite the output if it exists', default: RUN_DEFAULTS.overwrite },
  model: {
    flag: '--model',
    arg: 'NAME',
    description: `shipped model: ${MODEL_FAMILIES.map((f) => `${f} (${MODEL_SUMMARIES[f]})`).join(', ')}; or auto (live: the best that keeps up, measured at start); default: ${DEFAULTS_IN_WORDS}; see README`,
    parse: (v) => (v === AUTO_MODEL ? AUTO_MODEL : checkModelFamily(v)),
  },
  modelFile: {
    flag: '--model-file',
    arg: 'PATH',
    description: 'use this .onnx file (a SESR, ESPCN or rvsr model exported by training/) instead of a shipped model',
  },
  backend: {
    flag: '--backend',
    arg: 'NAME',
    description: `network runtime: ${BACKENDS.join(', ')} (onnx: onnxruntime, tfjs: TensorFlow.js)`,
    default: RUN_DEFAULTS.backend,
    parse: oneOf(BACKENDS),
  },
  device: {
    flag: '--device',
    arg: 'NAME',
    description: `${DEVICES.join(', ')} (auto: a GPU when one works, else CPU)`,
    default: RUN_DEFAULTS.device,
    parse: oneOf(DEVICES),
  },
  workers: {
    flag: '--workers',
    arg: 'N',
    description: 'video: worker threads upscaling frames side by side (0 = one per core)',
    default: RUN_DEFAULTS.workers,
    parse: int(0, 64),
  },
  threads: {
    flag: '--threads',
    arg: 'N',
    description: 'onnxruntime threads, per worker for videos (0 = the cores shared among the workers)',
    default: RUN_DEFAULTS.threads,
    parse: int(0, 256),
  },
  tilePixels: {
    flag: '--tile',
    arg: 'PIXELS',
    description: `largest input area the network sees at once; larger frames go in overlapping strips (same result, less memory); default ${DEFAULT_TILE_PIXELS} for a 64-channel network (espcn), in proportion more for narrower ones (${DEFAULT_TILE_PIXELS * 4} for sesr)`,
    parse: int(4096, 1 << 30),
  },
  codec: { flag: '--codec', arg: 'NAME', description: 'ffmpeg video encoder (default libx264; libvpx-vp9 for .webm)' },
  crf: { flag: '--crf', arg: 'N', description: 'encoder quality (lower is better)', default: RUN_DEFAULTS.crf, parse: int(0, 63) },
  preset: {
    flag: '--preset',
    arg: 'NAME',
    description: 'x264/x265 preset (ultrafast … veryslow)',
    shownDefault: `${FILE_PRESET}; ${LIVE_PRESET} for live runs`,
  },
  format: {
    flag: '--format',
    short: '-f',
    arg: 'NAME',
    description: 'output container as an ffmpeg muxer name (default: from the extension; matroska for -)',
  },
  concurrent: {
    flag: '--concurrent',
    arg: 'N',
    description: 'frames in the upscaler at once (0 = two per worker)',
    default: RUN_DEFAULTS.concurrent,
    parse: int(0, 64),
  },
  maxFramesInFlight: {
    flag: '--max-frames',
    arg: 'N',
    description: 'frames held in memory in all (the decoder waits beyond)',
    default: RUN_DEFAULTS.maxFramesInFlight,
    parse: int(2, 1024),
  },
  tolerateErrors: {
    flag: '--tolerate-errors',
    description: 'skip damaged frames instead of stopping at the first decoding error',
    default: false,
  },
  live: {
    flag: '--live',
    description:
      'live mode (the default for network URLs, and for stdin that arrives in real time): read the input once as it arrives, never pause it, keep latency bounded',
    default: false,
  },
  noLive: {
    flag: '--no-live',
    description:
      'file mode for stdin or a URL: stdin is spooled to a temporary file (an MP4 with its index at the end works), every stream kept, no frame dropped or substituted',
    default: false,
  },
  maxLatencyMs: {
    flag: '--max-latency',
    arg: 'MS',
    description: 'live: how far the output may lag; frames the network cannot upscale in time go by --when-behind',
    default: RUN_DEFAULTS.maxLatencyMs,
    parse: int(100, 600_000),
  },
  whenBehind: {
    flag: '--when-behind',
    arg: 'WHAT',
    description: 'live: bicubic (upscale late frames by bicubic) or drop (leave them out); each is counted',
    default: RUN_DEFAULTS.whenBehind,
    parse: oneOf(WHEN_BEHIND),
  },
  connectTimeoutMs: {
    flag: '--connect-timeout',
    arg: 'SEC',
    description: 'live: how long to wait for the first frame, and for more data while it flows, before giving up',
    default: RUN_DEFAULTS.connectTimeoutMs,
    shownDefault: `${RUN_DEFAULTS.connectTimeoutMs / 1000}`,
    parse: (v, flag) => int(1, 86_400)(v, flag) * 1000,
  },
  listen: {
    flag: '--listen',
    description: 'live: wait for a publisher to connect (rtmp://HOST:PORT/APP as a server)',
    default: RUN_DEFAULTS.listen,
  },
  reconnect: {
    flag: '--reconnect',
    description: 'live: when the input drops, reconnect with backoff and carry on into the same output (timestamps continue)',
    default: false,
  },
  reconnectAttempts: {
    flag: '--reconnect-attempts',
    arg: 'N',
    description: 'live, with --reconnect: failed attempts in a row before the run ends cleanly',
    default: RECONNECT_ATTEMPTS_WHEN_ASKED,
    parse: int(1, 1_000_000),
  },
  monitor: {
    flag: '--monitor',
    arg: '[HOST:]PORT',
    description:
      'serve the live dashboard and per-frame quality over a WebSocket (host 127.0.0.1 unless given; port 0: any free one); with --resume or --queue: the segments and every worker',
    parse: parseMonitorAddress,
  },
  monitorToken: { flag: '--monitor-token', arg: 'TOKEN', description: 'dashboard and WebSocket clients must give ?token=TOKEN' },
  monitorWait: {
    flag: '--monitor-wait',
    description: 'start upscaling only once a dashboard or WebSocket client has connected',
    default: false,
  },
  reference: {
    flag: '--reference',
    arg: 'SRC',
    description:
      'quality ground truth: self (downscale the input, upscale, compare) or a video at the output size; otherwise consistency (faithfulness to the input) with a detail estimate',
  },
  report: { flag: '--report', arg: 'PATH', description: 'write the per-frame quality and the summary as JSON (also without --monitor)' },
  detailEvery: {
    flag: '--detail-every',
    arg: 'N',
    description:
      'without --reference: every Nth frame is also downscaled, upscaled by srvid and by bicubic and compared with itself, an estimate of the detail gained (0 = never)',
    default: RUN_DEFAULTS.detailEvery,
    parse: int(0, 1_000_000),
  },
  previewEvery: {
    flag: '--preview-every',
    arg: 'N',
    description: 'dashboard before/after preview every N frames',
    default: RUN_DEFAULTS.previewEvery,
    parse: int(1, 1_000_000),
  },
  resume: {
    flag: '--resume',
    description:
      'video files: work in keyframe-aligned segments with a journal beside the output (OUTPUT.srvid/), and carry on from it after a crash',
    default: false,
  },
  queue: {
    flag: '--queue',
    arg: 'URL',
    description:
      'redis://HOST:PORT (or rediss://): put the segments on a BullMQ queue for srvid worker processes and wait (resumes like --resume); with worker: take segments from it',
    parse: (v) => {
      parseQueueUrl(v); // refuses anything but redis:// and rediss:// before a process starts
      return v;
    },
  },
  segmentSeconds: {
    flag: '--segment-seconds',
    arg: 'SEC',
    description: 'with --resume or --queue: about how long each segment is (cuts fall on keyframes)',
    default: RUN_DEFAULTS.segmentSeconds,
    parse: int(1, 86_400),
  },
  ffmpeg: { flag: '--ffmpeg', arg: 'PATH', description: 'ffmpeg to run (else $SRVID_FFMPEG, a system ffmpeg ≥ 5, the bundled one)' },
  ffprobe: { flag: '--ffprobe', arg: 'PATH', description: 'ffprobe to run (else $SRVID_FFPROBE, beside ffmpeg, on PATH, bundled)' },
  json: { flag: '--json', description: 'eval, doctor: print the result as JSON', default: false },
  stats: { flag: '--stats', description: 'video: print where the time went, per frame and stage, at the end', default: false },
  verbose: {
    flag: '--verbose',
    description: 'doctor: also try GPU runtimes where no GPU device exists (they may print driver noise)',
    default: false,
  },
  quiet: { flag: '--quiet', short: '-q', description: 'no progress line', default: false },
  help: { flag: '--help', short: '-h', description: 'show this help', default: false },
  version: { flag: '--version', description: 'print the version', default: false },
} satisfies Record<string, OptionSpec>;

/** The table as rows, in declaration order (object keys keep it). */
export const optionRows = (): [keyof CliOptions, OptionSpec][] => Object.entries(OPTIONS) as [keyof CliOptions, OptionSpec][];

const USAGE = `srvid — video super-resolution with a small CNN (SESR by default, or ESPCN), streamed through ffmpeg

Usage:
  srvid INPUT OUTPUT [options]      upscale a video (or an image: png, jpg, webp)
  srvid eval DIR [options]          PSNR-Y/SSIM-Y of srvid and bicubic on a folder of HR images
  srvid doctor [--verbose]          which ffmpeg, ffprobe and backends srvid finds, and why one fails
  srvid worker --queue URL          take segments of --queue jobs from Redis and upscale them

INPUT is a file, a URL ffmpeg can open (udp, srt, rtmp, rtsp, http(s) HLS…), or - for stdin;
OUTPUT is a file, an HLS playlist (.m3u8), a udp://, srt:// or rtmp:// URL, or - for stdout.
Network inputs, and stdin arriving in real time, are live: read once as they arrive, with bounded
latency (--no-live: as files); stdin that arrives faster (a file on a pipe) keeps every frame.
Audio, subtitles, chapters, metadata, timestamps and colour tags are kept; the output is
written to a temporary file and appears only when the run succeeds.
Inside the project run it as npx srvid; npm install -g . puts srvid on PATH.`;

const EXAMPLES = `Examples:
  srvid samples/street-360p.mp4 out.mp4 --scale 2
  srvid in.mkv out.mkv -s 3 --codec libx265 --crf 20 -y
  cat in.mp4 | srvid - - > out.mkv
  srvid udp://127.0.0.1:5000 udp://127.0.0.1:5002 --model espcn-light
  srvid srt://0.0.0.0:9000?mode=listener out/live.m3u8 --max-latency 1500
  srvid in.mp4 out.mp4 --monitor 8080 --report quality.json
  srvid hr.mp4 recon.mp4 --reference self --report quality.json
  srvid film.mkv film-x2.mkv --resume
  srvid /shared/film.mkv /shared/film-x2.mkv --queue redis://10.0.0.5:6379
  srvid worker --queue redis://10.0.0.5:6379
  srvid photo.png photo-x4.png --scale 4
  srvid eval my-hr-images --scale 3
  srvid doctor`;

export const renderHelp = (): string => {
  const rows = optionRows().map(([, o]) => {
    const names = [o.short, o.flag].filter(Boolean).join(', ') + (o.arg ? ` ${o.arg}` : '');
    const shown = o.shownDefault ?? (o.default !== undefined && o.default !== false ? String(o.default) : undefined);
    const def = shown !== undefined ? ` (default ${shown})` : '';
    return [names, o.description + def] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  const lines = rows.map(([n, d]) => `  ${n.padEnd(width)}${d}`);
  return `${USAGE}\n\nOptions:\n${lines.join('\n')}\n\n${EXAMPLES}\n`;
};

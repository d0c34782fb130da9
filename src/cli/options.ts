/** Every option, declared once: flag, argument, description, default and validation. Feeds --help and docs/cli.md. */
import { UsageError } from '../errors.js';
import { DEFAULT_TILE_PIXELS } from '../models/espcn/upscale-frame.js';
import { MODEL_FAMILIES } from '../models/registry.js';

export interface OptionSpec {
  readonly key: string;
  readonly flag: string;
  readonly short?: string;
  /** Name of the argument; absent for a switch. */
  readonly arg?: string;
  readonly description: string;
  readonly default?: string | number | boolean;
  readonly parse?: (value: string, flag: string) => string | number;
}

const int =
  (min: number, max: number) =>
  (v: string, flag: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not "${v}"`);
    return n;
  };

const oneOf =
  (...choices: string[]) =>
  (v: string, flag: string): string => {
    if (!choices.includes(v)) throw new UsageError(`${flag} takes one of ${choices.join(', ')}, not "${v}"`);
    return v;
  };

const scale = (v: string, flag: string): number => {
  const n = Number(v);
  if (![2, 3, 4].includes(n)) throw new UsageError(`unsupported scale "${v}" for ${flag}; use 2, 3 or 4`);
  return n;
};

const monitorAddress = (v: string, flag: string): string => {
  if (!/^(?:(?:\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?\d{1,5}$/.test(v) || Number(v.split(':').pop()) > 65535) {
    throw new UsageError(`${flag} takes [host:]port (such as 8080 or 0.0.0.0:8080), not "${v}"`);
  }
  return v;
};

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'scale', flag: '--scale', short: '-s', arg: 'N', description: 'upscaling factor: 2, 3 or 4', default: 2, parse: scale },
  { key: 'overwrite', flag: '--overwrite', short: '-y', description: 'overwrite the output if it exists', default: false },
  {
    key: 'model',
    flag: '--model',
    arg: 'NAME',
    description:
      'shipped model: espcn (best quality), espcn-int8 (espcn with 8-bit integer arithmetic, faster on CPU) or espcn-light (x2 only, for real time); see README',
    default: 'espcn',
    parse: oneOf(...MODEL_FAMILIES),
  },
  { key: 'modelFile', flag: '--model-file', arg: 'PATH', description: 'use this ESPCN .onnx file instead of a shipped model' },
  {
    key: 'backend',
    flag: '--backend',
    arg: 'NAME',
    description: 'network runtime: auto, onnx (onnxruntime) or tfjs (TensorFlow.js)',
    default: 'auto',
    parse: oneOf('auto', 'onnx', 'tfjs'),
  },
  {
    key: 'device',
    flag: '--device',
    arg: 'NAME',
    description: 'auto (a GPU when one works, else CPU), cpu or gpu',
    default: 'auto',
    parse: oneOf('auto', 'cpu', 'gpu'),
  },
  {
    key: 'workers',
    flag: '--workers',
    arg: 'N',
    description: 'video: worker threads upscaling frames side by side (0 = one per core)',
    default: 0,
    parse: int(0, 64),
  },
  {
    key: 'threads',
    flag: '--threads',
    arg: 'N',
    description: 'onnxruntime threads, per worker for videos (0 = the cores shared among the workers)',
    default: 0,
    parse: int(0, 256),
  },
  {
    key: 'tilePixels',
    flag: '--tile',
    arg: 'PIXELS',
    description: 'largest input area the network sees at once; larger frames go in overlapping strips (same result, less memory)',
    default: DEFAULT_TILE_PIXELS,
    parse: int(4096, 1 << 30),
  },
  { key: 'codec', flag: '--codec', arg: 'NAME', description: 'ffmpeg video encoder (default libx264; libvpx-vp9 for .webm)' },
  { key: 'crf', flag: '--crf', arg: 'N', description: 'encoder quality (lower is better)', default: 18, parse: int(0, 63) },
  { key: 'preset', flag: '--preset', arg: 'NAME', description: 'x264/x265 preset (ultrafast … veryslow)', default: 'medium' },
  {
    key: 'format',
    flag: '--format',
    short: '-f',
    arg: 'NAME',
    description: 'output container as an ffmpeg muxer name (default: from the extension; matroska for -)',
  },
  {
    key: 'concurrent',
    flag: '--concurrent',
    arg: 'N',
    description: 'frames in the upscaler at once (0 = two per worker)',
    default: 0,
    parse: int(0, 64),
  },
  {
    key: 'maxFramesInFlight',
    flag: '--max-frames',
    arg: 'N',
    description: 'frames held in memory in all (the decoder waits beyond)',
    default: 8,
    parse: int(2, 1024),
  },
  {
    key: 'tolerateErrors',
    flag: '--tolerate-errors',
    description: 'skip damaged frames instead of stopping at the first decoding error',
    default: false,
  },
  {
    key: 'monitor',
    flag: '--monitor',
    arg: '[HOST:]PORT',
    description: 'serve the live dashboard and per-frame quality over a WebSocket (host 127.0.0.1 unless given; port 0: any free one)',
    parse: monitorAddress,
  },
  { key: 'monitorToken', flag: '--monitor-token', arg: 'TOKEN', description: 'dashboard and WebSocket clients must give ?token=TOKEN' },
  {
    key: 'monitorWait',
    flag: '--monitor-wait',
    description: 'start upscaling only once a dashboard or WebSocket client has connected',
    default: false,
  },
  {
    key: 'reference',
    flag: '--reference',
    arg: 'SRC',
    description: 'quality ground truth: self (downscale the input, upscale, compare) or a video at the output size; otherwise consistency',
  },
  {
    key: 'report',
    flag: '--report',
    arg: 'PATH',
    description: 'write the per-frame quality and the summary as JSON (also without --monitor)',
  },
  {
    key: 'previewEvery',
    flag: '--preview-every',
    arg: 'N',
    description: 'dashboard before/after preview every N frames',
    default: 30,
    parse: int(1, 1_000_000),
  },
  { key: 'ffmpeg', flag: '--ffmpeg', arg: 'PATH', description: 'ffmpeg to run (else $SRVID_FFMPEG, a system ffmpeg ≥ 5, the bundled one)' },
  { key: 'ffprobe', flag: '--ffprobe', arg: 'PATH', description: 'ffprobe to run (else $SRVID_FFPROBE, beside ffmpeg, on PATH, bundled)' },
  { key: 'json', flag: '--json', description: 'eval: print the result as JSON', default: false },
  { key: 'stats', flag: '--stats', description: 'video: print where the time went, per frame and stage, at the end', default: false },
  { key: 'quiet', flag: '--quiet', short: '-q', description: 'no progress line', default: false },
  { key: 'help', flag: '--help', short: '-h', description: 'show this help', default: false },
  { key: 'version', flag: '--version', description: 'print the version', default: false },
];

const USAGE = `srvid — video super-resolution with ESPCN, streamed through ffmpeg

Usage:
  srvid INPUT OUTPUT [options]      upscale a video (or an image: png, jpg, webp)
  srvid eval DIR [options]          PSNR-Y/SSIM-Y of srvid and bicubic on a folder of HR images
  srvid doctor                      which ffmpeg, ffprobe and backends srvid finds, and why one fails

INPUT is a file, a URL ffmpeg can open, or - for stdin; OUTPUT is a file or - for stdout.
Audio, subtitles, chapters, metadata, timestamps and colour tags are kept; the output is
written to a temporary file and appears only when the run succeeds.`;

const EXAMPLES = `Examples:
  srvid samples/street-360p.mp4 out.mp4 --scale 2
  srvid in.mkv out.mkv -s 3 --codec libx265 --crf 20 -y
  cat in.mp4 | srvid - - --format matroska > out.mkv
  srvid in.mp4 out.mp4 --monitor 8080 --report quality.json
  srvid hr.mp4 recon.mp4 --reference self --report quality.json
  srvid photo.png photo-x4.png --scale 4
  srvid eval ../shared/data/val/Set5 --scale 3
  srvid doctor`;

export const renderHelp = (): string => {
  const rows = OPTIONS.map((o) => {
    const names = [o.short, o.flag].filter(Boolean).join(', ') + (o.arg ? ` ${o.arg}` : '');
    const def = o.default !== undefined && o.default !== false ? ` (default ${String(o.default)})` : '';
    return [names, o.description + def] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  const lines = rows.map(([n, d]) => `  ${n.padEnd(width)}${d}`);
  return `${USAGE}\n\nOptions:\n${lines.join('\n')}\n\n${EXAMPLES}\n`;
};

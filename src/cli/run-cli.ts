/**
 * The `srvid` command: parse, wire, run, report. `main` is the whole command; the executable (main.ts) calls
 * it with the process's arguments, and a caller may inject run hooks (the fault tests do, test/helpers/hooked-cli.mjs).
 */
import { readFileSync } from 'node:fs';
import { diagnose } from '../api/doctor.js';
import { evaluateImages, type EvalResult, type EvalScores } from '../api/evaluate-images.js';
import { upscaleImage } from '../api/upscale-image.js';
import { formatQualityLine, upscaleVideo, type UpscaleVideoResult } from '../api/upscale-video.js';
import { upscaleSegmented, type SegmentStatus } from '../api/upscale-segmented.js';
import { runWorker } from '../api/run-worker.js';
import { AbortedError, SrvidError, UsageError } from '../errors.js';
import { isImagePath } from '../api/choices.js';
import type { Progress, StageTimes } from '../pipeline/ports.js';
import { formatDuration, formatProgress, formatRuntime } from './format-progress.js';
import { renderHelp } from './options.js';
import { formatDoctor } from './print-doctor.js';
import type { RunHooks } from '../api/run-options.js';
import { parseCli, type CliOptions } from './parse-cli.js';

const stderr = process.stderr;
const version = (): string =>
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const say = (line: string): void => void stderr.write(`${line}\n`);

const progressPrinter = (quiet: boolean): ((p: Progress) => void) & { done: () => void; label: (s: string) => void } => {
  const tty = stderr.isTTY;
  let lastPrinted = -Infinity;
  let pending: Progress | null = null;
  let suffix = '';
  const print = (p: Progress): void => {
    if (quiet) return;
    const now = performance.now();
    pending = p;
    if (now - lastPrinted < (tty ? 100 : 2000)) return;
    lastPrinted = now;
    pending = null;
    if (tty) stderr.write(`\r\x1b[K${formatProgress(p)}${suffix}`);
    else say(formatProgress(p) + suffix);
  };
  // The last update is always shown: the container's frame count can be an estimate that is never reached.
  const done = (): void => {
    if (quiet) return;
    if (pending && tty) stderr.write(`\r\x1b[K${formatProgress(pending)}${suffix}\n`);
    else if (pending) say(formatProgress(pending) + suffix);
    else if (tty) stderr.write('\n');
  };
  return Object.assign(print, { done, label: (s: string) => void (suffix = `  [${s}]`) });
};

const printEval = (r: EvalResult, dir: string): void => {
  const head = `${'image'.padEnd(14)} ${'size'.padStart(9)}  bicubic PSNR / SSIM / sharp.  srvid PSNR / SSIM / sharp.   gain`;
  // sharpness is undefined (NaN) against a flat truth: no detail to have
  const sharp = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '   –');
  const cell = (q: EvalScores): string => `${q.psnr.toFixed(2)} / ${q.ssim.toFixed(4)} / ${sharp(q.sharpness)}`.padStart(28);
  const line = (name: string, size: string, b: EvalScores, s: EvalScores): string =>
    `${name.padEnd(14)} ${size.padStart(9)}  ${cell(b)} ${cell(s).slice(2)}  ${((s.psnr - b.psnr >= 0 ? '+' : '') + (s.psnr - b.psnr).toFixed(2)).padStart(6)}`;
  console.log(
    `${dir} x${r.scale}, model ${r.model}: PSNR-Y (dB) / SSIM-Y / sharpness (gradient ratio, the truth = 1), BT.601 Y, ` +
      `${r.scale}px border cropped, LR by antialiased bicubic`,
  );
  console.log(head);
  for (const row of r.rows) console.log(line(row.image, `${row.width}x${row.height}`, row.bicubic, row.srvid));
  console.log(line('mean', '', r.mean.bicubic, r.mean.srvid));
};

/**
 * The library's options from the CLI's: every option is passed as it is (same name, same unit), except the
 * CLI's own switches and the few flags that combine into one library option.
 */
const libraryOptions = (o: CliOptions, hooks: RunHooks | undefined) => {
  const { json, stats, verbose, quiet, help, version, tolerateErrors, live, noLive, reconnect, reconnectAttempts, ...passed } = o;
  const { monitor, monitorToken, monitorWait, resume, ...rest } = passed;
  return {
    ...rest,
    strict: !tolerateErrors,
    live: live ? true : noLive ? false : undefined,
    reconnectAttempts: reconnect ? reconnectAttempts : 0,
    monitor: monitor && { ...monitor, token: monitorToken, wait: monitorWait },
    hooks,
  };
};

type Command = ReturnType<typeof parseCli>;

const runDoctor = async (o: CliOptions): Promise<void> => {
  const report = await diagnose({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe, verbose: o.verbose });
  if (o.json) console.log(JSON.stringify(report, null, 2));
  else process.stdout.write(formatDoctor(report, `srvid ${version()}, node ${process.version}, ${process.platform} ${process.arch}`));
};

const runWorkerCommand = async (o: CliOptions, signal: AbortSignal, hooks?: RunHooks): Promise<void> => {
  const { segments } = await runWorker({
    ...libraryOptions(o, hooks),
    queue: o.queue as string,
    signal,
    onNote: (line) => void (o.quiet || say(line)),
  });
  if (!o.quiet) say(`worker stopped after ${segments} segments`);
};

const runEval = async (o: CliOptions, dir: string, signal: AbortSignal): Promise<void> => {
  const result = await evaluateImages({ ...libraryOptions(o, undefined), dir, signal });
  if (o.json) console.log(JSON.stringify(result, null, 2));
  else printEval(result, dir);
};

const runImage = async (o: CliOptions, input: string, output: string, signal: AbortSignal): Promise<'written'> => {
  if (input === '-' || output === '-') throw new UsageError('images are read from and written to files; - (stdin/stdout) is for video');
  if (!isImagePath(input))
    throw new UsageError(`${output} is an image, but ${input} is not: upscale videos to a video file (.mp4, .mkv, …)`);
  if (!isImagePath(output)) throw new UsageError(`${input} is an image: give an image output (.png, .jpg, .webp), not ${output}`);
  if (o.monitor || o.reference || o.report)
    throw new UsageError('--monitor, --reference and --report are for videos; for images use srvid eval');
  const { width, height } = await upscaleImage({ ...libraryOptions(o, undefined), input, output, signal });
  if (!o.quiet) say(`wrote ${output} (${width}x${height})`);
  return 'written';
};

/** What a segmented run says before its first segment. */
const segmentNotes = (o: CliOptions, output: string, progress: ReturnType<typeof progressPrinter>) => ({
  resume: true,
  onSegments: (s: SegmentStatus) => {
    if (o.quiet) return;
    say(
      s.done > 0
        ? `resuming: ${s.done} of ${s.segments} segments (${s.framesDone} of ${s.totalFrames} frames) already done and verified`
        : `${s.segments} segments of about ${o.segmentSeconds} s; journal in ${output}.srvid/`,
    );
    if (s.done > 0) progress.label(`${s.framesDone} frames from before`);
  },
  onNote: (line: string) => void (o.quiet || say(line)),
});

const runVideo = async (o: CliOptions, input: string, output: string, signal: AbortSignal, hooks?: RunHooks): Promise<'written'> => {
  const progress = progressPrinter(o.quiet);
  const segmented = o.resume || o.queue !== undefined;
  let result: UpscaleVideoResult;
  try {
    result = await (segmented ? upscaleSegmented : upscaleVideo)({
      ...libraryOptions(o, hooks),
      ...(segmented ? segmentNotes(o, output, progress) : {}),
      input,
      output,
      signal,
      onMonitorListening: (url) => say(`monitor: ${url}`),
      onMonitorWaiting: () => say('monitor: waiting for a dashboard or WebSocket client to connect…'),
      onStart: (info, run, runtime) => {
        progress.label(formatRuntime(runtime));
        if (o.quiet) return;
        say(
          `${input}: ${info.width}x${info.height} ${info.pixFmt}${info.frameRate ? ` ${info.frameRate.toFixed(3)} fps` : ''}, ` +
            `${info.frameCount ?? '?'} frames → ${run.outputSize.width}x${run.outputSize.height} with ${runtime.model} (${formatRuntime(runtime)})` +
            (run.reference ? `; quality (${run.mode}): ${run.reference}` : ''),
        );
      },
      onProgress: progress,
      onWarning: (w) => say(`srvid: warning: ${w}`),
    });
  } finally {
    progress.done();
  }
  if (!o.quiet) printOutcome(result, output);
  if (o.stats) say(formatStages(result.stages));
  return 'written';
};

/** The closing lines: the quality, and what was written, how fast, and what fell behind. */
const printOutcome = (result: UpscaleVideoResult, output: string): void => {
  const quality = result.quality ? formatQualityLine(result.quality, result.run) : null;
  if (quality) say(quality);
  const behind =
    result.fallback || result.dropped ? `; behind real time: ${result.fallback} frames by bicubic, ${result.dropped} dropped` : '';
  // A resumed run: the rate is this run's, so the frames it took over from before are named apart.
  const before = result.framesBefore
    ? ` (${result.frames - result.framesBefore} upscaled in this run, ${result.framesBefore} from before)`
    : '';
  say(`wrote ${output}: ${result.frames} frames${before} in ${formatDuration(result.elapsedSec)} (${result.fps.toFixed(1)} fps)${behind}`);
};

/** Runs one command; 'written' once an upscale's output is in place (a signal after that stopped nothing). */
const run = async (cli: Command, signal: AbortSignal, hooks?: RunHooks): Promise<'written' | void> => {
  const o = cli.options;
  const [first, second] = cli.positionals as [string, string];
  switch (cli.command) {
    case 'help':
      return void process.stdout.write(renderHelp());
    case 'version':
      return void console.log(version());
    case 'doctor':
      return runDoctor(o);
    case 'worker':
      return runWorkerCommand(o, signal, hooks);
    case 'eval':
      return runEval(o, first, signal);
    case 'upscale':
      return isImagePath(first) || isImagePath(second) ? runImage(o, first, second, signal) : runVideo(o, first, second, signal, hooks);
  }
};

/** `--stats`: one line, mean ms per frame and stage. Stages overlap, so they do not add up to the frame time. */
const formatStages = (s: StageTimes): string =>
  `stages (mean ms per frame, overlapping): decode wait ${s.decodeWaitMs.toFixed(2)}, convert ${s.convertMs.toFixed(2)}, ` +
  `inference ${s.inferenceMs.toFixed(2)}, chroma ${s.chromaMs.toFixed(2)}, quality ${s.qualityMs.toFixed(2)}, encode wait ${s.encodeWaitMs.toFixed(2)}`;

export const main = async (argv: readonly string[], hooks?: RunHooks): Promise<void> => {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second signal: leave now. process.exit() would tear onnxruntime's worker threads down mid-inference,
      // which aborts the process; so run the exit handlers (they SIGKILL the encoder and remove its partial
      // file) and die by the signal itself, as a program without a handler would.
      process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
      process.emit('exit', sig === 'SIGINT' ? 130 : 143);
      process.kill(process.pid, sig);
      return;
    }
    process.exitCode = sig === 'SIGINT' ? 130 : 143;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // A signal that came once the output was in place stopped nothing: the run succeeded, and says so.
    if ((await run(parseCli(argv), controller.signal, hooks)) === 'written') process.exitCode = 0;
  } catch (err) {
    if (stderr.isTTY) stderr.write('\r\x1b[K');
    if (err instanceof AbortedError) {
      say(`srvid: ${err.message}`);
      process.exitCode ||= err.exitCode;
    } else if (err instanceof SrvidError) {
      say(`srvid: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      say(
        `srvid: unexpected error: ${(err as Error)?.message ?? String(err)}${process.env.SRVID_DEBUG ? `\n${(err as Error)?.stack}` : ' (set SRVID_DEBUG=1 for details)'}`,
      );
      process.exitCode = 1;
    }
  }
};

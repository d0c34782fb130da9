// One srvid run as the user would make it (the built CLI, its own process), measured from outside: its rate,
// peak and sampled RSS, the --stats stage times, and its CPU (all processes, and thread by thread).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { sampleThreadCpu, type ThreadCpu } from './thread-cpu.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

export interface Stages {
  decodeWait: number;
  convert: number;
  inference: number;
  chroma: number;
  quality: number;
  encodeWait: number;
}

export interface EndToEnd {
  sec: number;
  /** Frames over the whole process's wall time. */
  fps: number;
  /** Frames over the time from the first frame to the last (what the progress line shows). */
  steadyFps: number;
  rssMB: number;
  /** RSS samples (MB) over the run, about once a second. */
  rssTrace: number[];
  stages: Stages;
  /** User + system CPU time per frame of srvid and its ffmpeg processes together. */
  cpuMsPerFrame: number;
  /** The same, thread by thread (null when /proc could not be read). */
  byThread: ThreadCpu | null;
  /** Upscale workers the run used (`--workers`, else one per core). */
  workers: number;
}

/** Runs the built CLI as its own process, sampling its resident memory from /proc while it runs. */
export const endToEnd = async (input: string, frames: number, args: string[]): Promise<EndToEnd> => {
  const out = input.replace(/\.mp4$/, '-out.mp4');
  const timesFile = `${out}.times`;
  const t0 = performance.now();
  // Through bash for its `times`: the CPU time of srvid and of the ffmpeg processes it waited for.
  const child = spawn(
    'bash',
    [
      '-c',
      'TIMES="$1"; shift; "$@"; s=$?; times > "$TIMES"; exit $s',
      'bench',
      timesFile,
      process.execPath,
      CLI,
      input,
      out,
      '-y',
      '--stats',
      ...args,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  let threadCpu: ReturnType<typeof sampleThreadCpu> | null = null;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    // The first progress line comes once the first frame is written: start-up (models, probing) is over.
    const written = /frame (\d+)/.exec(stderr);
    if (written) threadCpu?.mark(Number(written[1]));
  });
  const rssTrace: number[] = [];
  let peak = 0;
  const nodePid = (): number => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
  const sample = (): void => {
    try {
      const status = readFileSync(`/proc/${nodePid()}/status`, 'utf8');
      rssTrace.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // the process has not started yet or has just ended
    }
  };
  // Per-thread CPU sampling starts as soon as bash has started node.
  const find = setInterval(() => {
    try {
      const pid = nodePid();
      if (!pid) return;
      threadCpu = sampleThreadCpu(pid);
      clearInterval(find);
    } catch {
      // not yet
    }
  }, 10);
  const timer = setInterval(sample, 1000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(find);
  clearInterval(timer);
  const workers = args.includes('--workers') ? Number(args[args.indexOf('--workers') + 1]) : availableParallelism();
  const byThread = (threadCpu as ReturnType<typeof sampleThreadCpu> | null)?.stop(frames, workers) ?? null;
  const sec = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`srvid ${args.join(' ')} failed: ${stderr.slice(-500)}`);
  // srvid's own rate counts from the first frame: without process start, probing and loading the model.
  const steadyFps = Number(/wrote .*\(([\d.]+) fps\)/.exec(stderr)?.[1] ?? NaN);
  const m = /decode wait ([\d.]+), convert ([\d.]+), inference ([\d.]+), chroma ([\d.]+), quality ([\d.]+), encode wait ([\d.]+)/.exec(
    stderr,
  );
  if (!m) throw new Error(`no --stats line in: ${stderr.slice(-300)}`);
  const [decodeWait, convert, inference, chroma, quality, encodeWait] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // `times` prints the shell's own user/sys, then its children's: "1m2.345s 0m1.234s".
  const seconds = (t: string): number => Number(/(\d+)m/.exec(t)?.[1] ?? 0) * 60 + Number(/([\d.]+)s/.exec(t)?.[1] ?? 0);
  const [user = '', sys = ''] = (readFileSync(timesFile, 'utf8').trim().split('\n')[1] ?? '').split(' ');
  rmSync(out, { force: true });
  rmSync(timesFile, { force: true });
  return {
    sec,
    fps: frames / sec,
    steadyFps,
    rssMB: peak,
    rssTrace,
    stages: { decodeWait, convert, inference, chroma, quality, encodeWait },
    cpuMsPerFrame: (1000 * (seconds(user) + seconds(sys))) / frames,
    byThread,
    workers,
  };
};

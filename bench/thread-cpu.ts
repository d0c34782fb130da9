// Where a running srvid's CPU goes, thread by thread: sampled from /proc (Linux) while it runs, so that the
// bench can say how much of each frame's CPU the network took inside the pipeline and how much everything else.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

/** CPU ms per frame in the steady state (from `mark` to the end), by where it ran. */
export interface ThreadCpu {
  /** srvid's upscale workers (its `workers` busiest threads besides the main one): the network and the JS around it. */
  readonly workers: number;
  /** srvid's main thread: pipes, frame splitting, matroska framing, metrics, its garbage collection. */
  readonly main: number;
  /** srvid's other threads: V8's background GC and compiler, libuv; exited ones included. */
  readonly helpers: number;
  /** The ffmpeg that decodes the input and the one that encodes (all their threads). */
  readonly decoder: number;
  readonly encoder: number;
  readonly total: number;
}

// /proc reports utime and stime in USER_HZ, which is 100 on every Linux userland ABI.
const TICK_MS = 10;

const cpuMsOf = (statPath: string): number | null => {
  try {
    // Fields after the command name (which may hold spaces): state is 0, utime 11, stime 12.
    const fields = readFileSync(statPath, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null; // the thread or process has just ended
  }
};

interface Readings {
  /** The node process, all its threads (exited ones too). */
  node: number;
  threads: Map<number, number>;
  children: Map<number, { ms: number; encoder: boolean }>;
}

const copy = (r: Readings): Readings => ({ node: r.node, threads: new Map(r.threads), children: new Map(r.children) });

/**
 * Samples `pid` (a node process running srvid) and its ffmpeg children every `everyMs`, keeping each one's
 * last reading; `mark(frames)` notes where the steady state starts (after start-up: loading models,
 * probing), `stop(frames, workers)` ends it once the process has exited (so the encoder's flush and the
 * teardown are in). What a thread or process ran in its last `everyMs` goes uncounted.
 */
export const sampleThreadCpu = (pid: number, everyMs = 50) => {
  const now: Readings = { node: 0, threads: new Map(), children: new Map() };
  let marked: { readings: Readings; frames: number } | null = null;
  let nodeExe = '';
  try {
    nodeExe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // already gone: nothing will be sampled
  }
  const sample = (): void => {
    now.node = cpuMsOf(`/proc/${pid}/stat`) ?? now.node;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      const ms = cpuMsOf(`/proc/${pid}/task/${tid}/stat`);
      if (ms !== null) now.threads.set(Number(tid), ms);
      let kids: string[] = [];
      try {
        kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' ').filter(Boolean);
      } catch {
        continue;
      }
      for (const kid of kids) {
        const ms = cpuMsOf(`/proc/${kid}/stat`);
        if (ms === null) continue;
        let encoder = now.children.get(Number(kid))?.encoder;
        if (encoder === undefined) {
          // Told apart once the child has exec'd (until then it shows node's executable and command line, and
          // would be filed for good): ffprobe is left out, and of the two ffmpeg processes the encoder reads pipe:0
          // (the bench's inputs are files, so the decoder never does).
          let argv: string[];
          try {
            if (readlinkSync(`/proc/${kid}/exe`) === nodeExe) continue;
            argv = readFileSync(`/proc/${kid}/cmdline`, 'utf8').split('\0');
          } catch {
            continue;
          }
          if (basename(argv[0] ?? '').startsWith('ffprobe')) continue;
          encoder = argv.includes('pipe:0');
        }
        now.children.set(Number(kid), { ms, encoder });
      }
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    mark: (frames: number): void => {
      if (marked) return;
      sample();
      marked = { readings: copy(now), frames };
    },
    stop: (frames: number, workers: number): ThreadCpu | null => {
      clearInterval(timer);
      if (!marked || frames <= marked.frames) return null;
      const before = marked.readings;
      const n = frames - marked.frames;
      const threadDelta = [...now.threads].map(([tid, ms]): [number, number] => [tid, ms - (before.threads.get(tid) ?? 0)]);
      const main = threadDelta.find(([tid]) => tid === pid)?.[1] ?? 0;
      const busiest = threadDelta
        .filter(([tid]) => tid !== pid)
        .map(([, ms]) => ms)
        .sort((a, b) => b - a)
        .slice(0, workers)
        .reduce((a, b) => a + b, 0);
      const kids = (encoder: boolean): number =>
        [...now.children]
          .filter(([, c]) => c.encoder === encoder)
          .reduce((sum, [kid, c]) => sum + c.ms - (before.children.get(kid)?.ms ?? 0), 0);
      const node = now.node - before.node;
      const [decoder, encoder] = [kids(false), kids(true)];
      return {
        workers: busiest / n,
        main: main / n,
        helpers: Math.max(0, node - main - busiest) / n,
        decoder: decoder / n,
        encoder: encoder / n,
        total: (node + decoder + encoder) / n,
      };
    },
  };
};

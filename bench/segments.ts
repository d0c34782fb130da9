// BENCH_SEGMENTS=1 in npm run bench: what segmenting costs and how it scales on this machine. One clip of
// real footage (vtest.avi, 360p, a keyframe every 2 s) is upscaled x2 to 720p (espcn, x264 veryfast):
// plain; --resume (segmented here); --queue with 1 and 2 `srvid worker` processes (one network thread each)
// on a real redis-server; plus the cut and the join alone. From those figures, on paper: a two-hour film
// at 1080p output on 1, 4 and 16 machines of this size. BENCH_SEGMENT_FRAMES=N sets the clip (default 450).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { concatList, cutArgs, parseSegmentList } from '../src/ffmpeg/segment-args.js';
import { probeVideo } from '../src/ffmpeg/probe-input.js';
import { joinArgs } from '../src/sink/join-args.js';
import { makeClip } from './clips.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const FRAMES = Number(process.env.BENCH_SEGMENT_FRAMES ?? 450);
const SEGMENT_SECONDS = 4;
const COMMON = ['--model', 'espcn', '--scale', '2', '--preset', 'veryfast', '-y', '-q'];

const ffmpeg = (args: string[]): number => {
  const t0 = performance.now();
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
};

interface Timed {
  /** Wall seconds. */
  readonly wall: number;
  /** User + system CPU seconds of the process and the children it waited for (its ffmpeg processes). */
  readonly cpu: number;
}

/** Starts the built CLI under GNU time; `node()` is the CLI's own pid (to stop a worker), `done` its figures. */
const timed = (args: string[], label: string): { node: () => number; child: ChildProcess; done: Promise<Timed> } => {
  const file = `${process.env.TMPDIR ?? '/tmp'}/srvid-bench-time-${process.pid}-${label}`;
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-q', '-o', file, '-f', '%U %S', process.execPath, CLI, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<Timed>((resolve, reject) =>
    child.on('exit', (code) => {
      const wall = (performance.now() - t0) / 1000;
      const last = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
      rmSync(file, { force: true });
      const [user = NaN, sys = NaN] = last.split(' ').map(Number);
      // A worker is stopped by SIGTERM (exit 143); anything else must succeed.
      if (code === 0 || (code === 143 && args[0] === 'worker')) resolve({ wall, cpu: user + sys });
      else reject(new Error(`srvid ${args.join(' ')} exited ${code}: ${err.slice(-400)}`));
    }),
  );
  const node = (): number => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
  return { node, child, done };
};

/** Runs the built CLI to the end. */
const srvid = async (args: string[], label: string): Promise<Timed> => timed(args, label).done;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const waitForLine = (child: ChildProcess, re: RegExp): Promise<void> =>
  new Promise((resolve) => {
    let text = '';
    const on = (d: Buffer): void => {
      text += d.toString();
      if (re.test(text)) resolve();
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });

/** `n` worker processes, each one network thread, on a fresh redis-server: the coordinator's wall time, everyone's CPU. */
const queued = async (input: string, output: string, n: number): Promise<Timed> => {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForLine(redis, /Ready to accept connections/);
  const url = `redis://127.0.0.1:${port}`;
  const workers = Array.from({ length: n }, (_, i) => timed(['worker', '--queue', url, '--workers', '1', '--threads', '1'], `w${i}`));
  try {
    await Promise.all(workers.map((w) => waitForLine(w.child, /waiting for segments/)));
    const c = await srvid([input, output, '--queue', url, '--segment-seconds', String(SEGMENT_SECONDS), ...COMMON], 'coordinator');
    for (const w of workers) process.kill(w.node(), 'SIGTERM');
    const ws = await Promise.all(workers.map((w) => w.done));
    return { wall: c.wall, cpu: c.cpu + ws.reduce((a, w) => a + w.cpu, 0) };
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    redis.kill('SIGTERM');
  }
};

const fmt = (sec: number): string =>
  sec >= 3600 ? `${(sec / 3600).toFixed(1)} h` : sec >= 60 ? `${(sec / 60).toFixed(0)} min` : `${sec.toFixed(1)} s`;

export const segmentBench = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  const input = join(dir, 'seg-in-640x360.mp4');
  makeClip(input, 640, 360, FRAMES, ['-g', '50']); // a keyframe every 2 s
  const o = (name: string): string => join(dir, name);

  const plain = await srvid([input, o('plain.mp4'), ...COMMON], 'plain');
  const plain1 = await srvid([input, o('plain1.mp4'), ...COMMON, '--workers', '1', '--threads', '1'], 'plain1');
  const resumed = await srvid([input, o('resume.mp4'), '--resume', '--segment-seconds', String(SEGMENT_SECONDS), ...COMMON], 'resume');
  const q1 = await queued(input, o('q1.mp4'), 1);
  const q2 = await queued(input, o('q2.mp4'), 2);

  // The cut (stream copy of the 360p input) and the join (stream copy of the 720p output and the input's audio) alone.
  const cutDir = o('cut');
  mkdirSync(cutDir, { recursive: true });
  const cutSec = ffmpeg(
    cutArgs({
      input,
      videoStreamIndex: 0,
      seconds: SEGMENT_SECONDS,
      pattern: join(cutDir, 'src-%05d.mkv'),
      listPath: join(cutDir, 'list.csv'),
    }),
  );
  const segments = parseSegmentList(readFileSync(join(cutDir, 'list.csv'), 'utf8'));
  const upDir = o('up');
  mkdirSync(upDir, { recursive: true });
  ffmpeg(
    cutArgs({
      input: o('plain.mp4'),
      videoStreamIndex: 0,
      seconds: SEGMENT_SECONDS,
      pattern: join(upDir, 'up-%05d.mkv'),
      listPath: join(upDir, 'list.csv'),
    }),
  );
  const ups = parseSegmentList(readFileSync(join(upDir, 'list.csv'), 'utf8'));
  writeFileSync(o('join.ffconcat'), concatList(ups.map((u) => ({ path: join(upDir, u.file), startSec: u.startSec }))));
  // The join as srvid runs it (src/sink/join-args.ts), here on segments cut from the plain run's output.
  const joined = joinArgs({
    info: await probeVideo('ffprobe', input),
    listPath: o('join.ffconcat'),
    target: o('joined.mp4'),
    muxer: 'mp4',
  });
  const joinSec = ffmpeg(joined.args);
  const outBytes = statSync(o('plain.mp4')).size;
  const upBytes = readdirSync(upDir).reduce((n, f) => n + statSync(join(upDir, f)).size, 0);

  const ms = (t: Timed): number => (1000 * t.cpu) / FRAMES;
  const line = (label: string, t: Timed, note = ''): string =>
    `${label.padEnd(46)}${(FRAMES / t.wall).toFixed(1).padStart(6)} fps wall ${t.wall.toFixed(1).padStart(6)} s   CPU ${ms(t).toFixed(1).padStart(6)} ms/frame${note}`;
  const over = (t: Timed, base: Timed): string =>
    `  (CPU ${ms(t) >= ms(base) ? '+' : ''}${((100 * (ms(t) - ms(base))) / ms(base)).toFixed(0)} % vs ${base === plain ? 'plain' : 'plain 1×1'})`;
  out.push(
    `\n# segmented jobs: ${FRAMES} frames 360p→720p x2 espcn veryfast, ${segments.length} segments of ~${SEGMENT_SECONDS} s; each whole command, start-up included; CPU = user + system of every process (load average ${loadavg()[0]?.toFixed(1)} at the start)`,
  );
  out.push(line('plain run (2 worker threads)', plain));
  out.push(line('plain run, 1 worker × 1 thread', plain1));
  out.push(line('--resume, segmented here (2 worker threads)', resumed, over(resumed, plain)));
  out.push(line('--queue, 1 worker process × 1 thread', q1, over(q1, plain1)));
  out.push(line('--queue, 2 worker processes × 1 thread', q2, `${over(q2, plain1)}; wall ${(q1.wall / q2.wall).toFixed(2)}× 1 worker`));
  out.push(`cut alone (stream copy, ${segments.length} segments)`.padEnd(46) + `${cutSec.toFixed(2)} s`);
  out.push(
    `join alone (concat, stream copy, 720p)`.padEnd(46) +
      `${joinSec.toFixed(2)} s for ${(upBytes / 1e6).toFixed(1)} MB (${(upBytes / 1e6 / joinSec).toFixed(0)} MB/s)`,
  );

  // On paper: a two-hour film, 540p → 1080p x2 at 24 fps = 172,800 frames in 720 segments of 10 s. A machine
  // like this one runs two worker processes, one per core, each at the CPU cost per frame measured above for
  // the queue; the network's cost grows with the pixels (540p has 2.25× those of 360p). CPU time, not wall
  // time, so that other work on this machine does not distort it.
  const filmFrames = 2 * 3600 * 24;
  const segSec = 10;
  const segmentsFilm = (2 * 3600) / segSec;
  const workerFps = 1000 / (ms(q2) * 2.25); // one worker process on one free core, at 1080p output
  const bytesPerFrame1080 = (outBytes / FRAMES) * 2.25;
  const joinFilm = (filmFrames * bytesPerFrame1080) / 1e6 / (upBytes / 1e6 / joinSec);
  const cutFilm = (cutSec / FRAMES) * filmFrames * 2.25;
  out.push(
    `\n# on paper: a two-hour film, 540p→1080p x2 at 24 fps (${filmFrames} frames, ${segmentsFilm} segments of ${segSec} s); machines of 2 cores, 2 worker processes each`,
  );
  out.push(
    `one worker process ${workerFps.toFixed(2)} fps (1000 / (queue CPU ms per frame × 2.25)); cut ${fmt(cutFilm)}, join ${fmt(joinFilm)} (${((filmFrames * bytesPerFrame1080) / 1e9).toFixed(1)} GB at the measured join rate)`,
  );
  for (const machines of [1, 4, 16, 64]) {
    const perSegment = (segSec * 24) / workerFps;
    const rounds = Math.ceil(segmentsFilm / (machines * 2));
    const total = cutFilm + rounds * perSegment + joinFilm;
    const storage = ((machines * 2 * workerFps * bytesPerFrame1080 * 8) / 1e6).toFixed(0);
    out.push(
      `${String(machines).padStart(2)} machine(s): ${fmt(total)} (upscaling ${fmt(rounds * perSegment)} in ${rounds} rounds of ${fmt(perSegment)}, cut + join ${fmt(cutFilm + joinFilm)}); shared storage: ${storage} Mbit/s written`,
    );
  }
  rmSync(cutDir, { recursive: true, force: true });
  rmSync(upDir, { recursive: true, force: true });
  return out;
};

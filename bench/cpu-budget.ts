// Where a frame's CPU goes end to end: ffmpeg's decoding and encoding measured alone, the network's model-only
// cost, and the rest (pipes, chroma, conversions, GC, contention), with the ceiling they leave for end to end.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { print, row } from './table.js';
import type { ThreadCpu } from './thread-cpu.js';

/** CPU ms per frame of one ffmpeg command alone (its own -benchmark figures: user + system time). */
export const ffmpegCpu = (args: string[], frames: number): number => {
  const r = spawnSync('ffmpeg', ['-v', 'info', '-nostats', '-benchmark', '-y', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(`${r.stdout}${r.stderr}`);
  if (r.status !== 0 || !m) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
  return (1000 * (Number(m[1]) + Number(m[2]))) / frames;
};

/** What the pipeline costs without the network: ffmpeg alone decodes, scales (bicubic) and encodes the same way. */
export const ffmpegBaseline = (input: string, frames: number, w: number, h: number, preset: string) => {
  const t0 = performance.now();
  const r = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-i',
    input,
    '-vf',
    `scale=${w}:${h}:flags=bicubic`,
    '-c:v',
    'libx264',
    '-preset',
    preset,
    '-crf',
    '18',
    '-f',
    'null',
    '-',
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  const sec = (performance.now() - t0) / 1000;
  return { sec, fps: frames / sec };
};

/** One model's end-to-end run at 360p→720p x2 veryfast, with its best model-only rate of the same bench run. */
export interface BudgetEntry {
  readonly name: string;
  /** Frames per second: model only (best configuration), end to end (steady state). */
  readonly modelFps: number;
  readonly e2eFps: number;
  /** CPU ms per frame of every process, the start-up included. */
  readonly cpuMsPerFrame: number;
  /** The steady state thread by thread, when /proc could be sampled. */
  readonly byThread: ThreadCpu | null;
}

/** x264 veryfast encoding 720p frames from a raw file, alone: CPU ms per frame. */
const encode720Cpu = (dir: string, clip360: string, frames: number): number => {
  const raw720 = join(dir, 'p720.yuv');
  ffmpegCpu(['-i', clip360, '-vf', 'scale=1280:720:flags=bicubic', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', raw720], frames);
  try {
    return ffmpegCpu(
      ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '1280x720', '-r', '25', '-i', raw720].concat([
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '18',
        join(dir, 'enc.mp4'),
      ]),
      frames,
    );
  } finally {
    rmSync(raw720, { force: true });
  }
};

/**
 * Prints where the CPU goes for each model (360p→720p x2 veryfast), then opens the ratios section: its first rows,
 * end to end against model only with the ceiling that the network and ffmpeg alone leave on `cores` cores, are
 * left in the table for the caller to add its own ratios to and print.
 */
export const printCpuBudget = (dir: string, clip360: string, frames: number, cores: number, budget: readonly BudgetEntry[]): void => {
  console.log('\n# where the CPU goes, 360p→720p x2 veryfast: user + system ms per frame, all processes');
  // ffmpeg's share measured alone: the decoder as srvid runs it, and x264 on raw 720p frames from a file.
  const decodeCpu = ffmpegCpu(['-i', clip360, '-pix_fmt', 'yuv420p', '-f', 'null', '-'], frames);
  const encodeCpu = encode720Cpu(dir, clip360, frames);
  row('ffmpeg decoding 360p, alone', `${decodeCpu.toFixed(1)} ms`);
  row('x264 veryfast encoding 720p, alone', `${encodeCpu.toFixed(1)} ms`);
  const ceilings = new Map<string, number>();
  for (const { name, modelFps, cpuMsPerFrame, byThread: t } of budget) {
    const network = (cores * 1000) / modelFps; // CPU ms per frame with every core on the network
    // The steady state (first frame written to the process's end, the encoder's flush included) when /proc
    // could be sampled; else the whole process.
    const total = t?.total ?? cpuMsPerFrame;
    ceilings.set(name, network / (network + decodeCpu + encodeCpu));
    row(
      `srvid ${name}, end to end${t ? '' : ' (start-up included)'}`,
      `${total.toFixed(1)} ms`,
      `network ${network.toFixed(1)} (model only) + ffmpeg ${(decodeCpu + encodeCpu).toFixed(1)} (alone) + the rest ${(total - network - decodeCpu - encodeCpu).toFixed(1)}`,
      `(pipes, chroma, conversions, GC, contention)`,
    );
    if (t) {
      row(
        `  by thread (/proc, steady state)`,
        `workers ${t.workers.toFixed(1)}`,
        `= network ${network.toFixed(1)} ${t.workers >= network ? '+' : '−'} ${Math.abs(t.workers - network).toFixed(1)} (tiles' extra rows, the JS steps, sharing the cores)`,
        `main ${t.main.toFixed(1)} · other srvid threads ${t.helpers.toFixed(1)} · ffmpeg decoding ${t.decoder.toFixed(1)}, encoding ${t.encoder.toFixed(1)}`,
      );
    }
  }
  print();

  console.log('\n# ratios (same run)');
  for (const { name, modelFps, e2eFps: fps, byThread } of budget) {
    const cpu = byThread?.total;
    // With the CPU each frame took, what the cores could give if they were never idle.
    const full = cpu
      ? `; with that CPU a frame and the cores never idle: ${((100 * (cores * 1000)) / cpu / modelFps).toFixed(0)} % (cores busy ${((100 * fps * cpu) / (cores * 1000)).toFixed(0)} % of the run)`
      : '';
    row(
      `end to end / model only, ${name} 360p→720p x2 veryfast`,
      `${((100 * fps) / modelFps).toFixed(0)} %`,
      `${fps.toFixed(1)} / ${modelFps.toFixed(1)} fps`,
      `ceiling ${(100 * (ceilings.get(name) ?? NaN)).toFixed(0)} % (the network and ffmpeg alone on the same ${cores} cores)${full}`,
    );
  }
};

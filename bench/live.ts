// Live-mode figures on 127.0.0.1 (run by `npm run bench` with BENCH_LIVE=1, or alone: node --import tsx bench/live.ts):
// - glass-to-glass latency: a producer stamps each frame's index into the picture as a 16-bit barcode and sends
//   it in real time over UDP; srvid upscales UDP → UDP; a consumer decodes the bars and notes when each frame
//   arrives. The same chain without srvid gives the producer's and consumer's own share, so srvid's is the
//   difference. Median and 99th percentile, per model.
// - the highest input frame rate held: the producer at rising rates; held means at most two seconds of frames
//   by bicubic or dropped, all of it start-up (ffmpeg hands its first second of a live input over at once, and
//   the model's warm-up measurement holds the frames that arrive meanwhile).
// BENCH_LIVE_MODELS=sesr-int8,espcn-light limits the latency and rate parts to those models; BENCH_LIVE_ARGS adds
// srvid options to their runs (e.g. BENCH_LIVE_ARGS='--max-latency 1000'); BENCH_LIVE_SIZES=540 limits the rate
// part to that input height, BENCH_LIVE_FROM=20 starts its rates there,
// BENCH_LIVE_SECONDS=60 makes each try that long (default 12).
// - the issue's stdin case (real footage from `ffmpeg -re` on stdin, the default model), BENCH_LIVE_STDIN_RUNS
//   times (default 3); BENCH_LIVE_PARTS=stdin runs it alone (not run alone by default; `npm run bench` runs it).
// - memory over a long live run (BENCH_LIVE_MINUTES, default 1): srvid's RSS sampled every 10 s; BENCH_LIVE_PARTS=memory
//   runs it alone, BENCH_LIVE_MONITOR=1 with --monitor and one WebSocket client reading throughout.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { WebSocket } from 'ws';
import { MODEL_FAMILIES, OFFLINE_FAMILIES } from '../src/models/registry.js';
import { makeClip } from './clips.js';
import { chain, CLI, done, ffmpeg, freeUdpPorts, percentile, sleep, track, TS } from './live-chain.js';

// every shipped model but the classic ones kept for comparison (far too slow for live), in the registry's order
const MODELS = MODEL_FAMILIES.filter(
  (f) => !OFFLINE_FAMILIES.includes(f) && (!process.env.BENCH_LIVE_MODELS || process.env.BENCH_LIVE_MODELS.split(',').includes(f)),
);
const EXTRA_ARGS = (process.env.BENCH_LIVE_ARGS ?? '').split(' ').filter(Boolean);

export const liveLatency = async (): Promise<string[]> => {
  const out: string[] = [
    '# live: glass-to-glass latency on loopback, 360p→720p x2, 25 fps, 12 s, after the first 2 s (median / p99, ms), and the p99 from the fourth second (the steady state); first output: from the first frame sent',
  ];
  const direct = await chain(null, 640, 360, 25, 12);
  const base = { med: percentile(direct.latencies, 50), p99: percentile(direct.latencies, 99) };
  out.push(
    `${'producer → consumer, no srvid'.padEnd(36)} ${base.med.toFixed(0).padStart(5)} / ${base.p99.toFixed(0).padStart(5)}   first output after ${direct.firstMs.toFixed(0)} ms`,
  );
  for (const model of MODELS) {
    const r = await chain(['--model', model, ...EXTRA_ARGS], 640, 360, 25, 12);
    const med = percentile(r.latencies, 50);
    const p99 = percentile(r.latencies, 99);
    out.push(
      `${`with srvid, ${model}`.padEnd(36)} ${med.toFixed(0).padStart(5)} / ${p99.toFixed(0).padStart(5)}   srvid's share ${(med - base.med).toFixed(0)} / ${(p99 - base.p99).toFixed(0)}; ` +
        `p99 from 4 s ${percentile(r.steady, 99).toFixed(0)}; ` +
        `first output after ${r.firstMs.toFixed(0)} ms; ${r.received} frames arrived, ${r.fallback} by bicubic, ${r.dropped} dropped`,
    );
  }
  return out;
};

export const liveMaxRate = async (): Promise<string[]> => {
  const out = [
    `# live: the highest input frame rate held (at most 5 % of ${process.env.BENCH_LIVE_SECONDS ?? 12} s of frames by bicubic or dropped, start-up included)`,
  ];
  const sizes = (process.env.BENCH_LIVE_SIZES ?? '360,540').split(',');
  const from = Number(process.env.BENCH_LIVE_FROM ?? 5);
  const seconds = Number(process.env.BENCH_LIVE_SECONDS ?? 12);
  for (const [w, h, label] of [
    [640, 360, '360p→720p'],
    [960, 540, '540p→1080p'],
  ] as const) {
    if (!sizes.includes(String(h))) continue;
    for (const model of MODELS) {
      let held = 0;
      let last = '';
      let failed = '';
      const rates = [5, 10, 15, 20, 25, 30, 40, 50, 60].filter((r) => r >= from);
      for (const rate of rates) {
        const r = await chain(['--model', model, ...EXTRA_ARGS], w, h, rate, seconds);
        const lost = `${r.fallback} by bicubic, ${r.dropped} dropped of ${seconds * rate}`;
        if (!r.finished || r.dropped + r.fallback > 0.05 * seconds * rate) {
          failed = `; ${rate} fps: ${r.finished ? lost : 'did not finish'}`;
          break;
        }
        held = rate;
        last = lost;
      }
      out.push(`${label.padEnd(12)} ${model.padEnd(12)} ${held ? `${held} fps (${last})` : `under ${rates[0] ?? from} fps`}${failed}`);
    }
  }
  return out;
};

/** One run of the stdin case: srvid's closing line, and the frames it says went to bicubic or were dropped (null: no such line). */
const stdinRun = async (clip: string): Promise<{ line: string; lost: number | null }> => {
  const dst = `${tmpdir()}/srvid-bench-live-real.mkv`;
  const producer = ffmpeg(['-re', '-i', clip, '-c', 'copy', '-f', 'mpegts', '-'], 'pipe');
  // Not -q: it would silence the closing line read below.
  const srvid = track(spawn(process.execPath, [CLI, '-', dst, '-y', '--live'], { stdio: ['pipe', 'ignore', 'pipe'] }));
  producer.stdout!.pipe(srvid.stdin!);
  let stderr = '';
  srvid.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  await done(producer);
  await done(srvid);
  const wrote = /^wrote .*$/m.exec(stderr.replaceAll('\r', '\n'))?.[0];
  if (!wrote) return { line: `no closing line: ${stderr.trim().split('\n').slice(-2).join(' | ')}`, lost: null };
  const behind = /(\d+) frames by bicubic, (\d+) dropped/.exec(wrote);
  return { line: wrote, lost: behind ? Number(behind[1]) + Number(behind[2]) : 0 };
};

/**
 * Real footage on stdin in real time (`ffmpeg -re`): 600 frames of the street clip at 640×360 and 25 fps,
 * srvid with the default model to a file, `runs` times (BENCH_LIVE_STDIN_RUNS, default 3: what a run loses is
 * its start-up, which moves a lot from run to run here). Frames out, by bicubic and dropped, as srvid counts them.
 */
export const liveRealFootage = async (clip: string, runs = Number(process.env.BENCH_LIVE_STDIN_RUNS ?? 3)): Promise<string[]> => {
  const out = [`# live: real footage on stdin in real time, 640×360 25 fps, 600 frames → 1280×720, default model, ${runs} runs`];
  const lost: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await stdinRun(clip);
    out.push(run.line);
    if (run.lost !== null) lost.push(run.lost);
  }
  if (lost.length) {
    const share = (n: number): string => `${((100 * n) / 600).toFixed(1)} %`;
    const mean = lost.reduce((a, b) => a + b, 0) / lost.length;
    out.push(
      `frames by bicubic + dropped: ${lost.join(', ')} (mean ${share(mean)}, worst ${share(Math.max(...lost))}; at most 5 % in ${lost.filter((n) => n <= 30).length} of ${lost.length})`,
    );
  }
  return out;
};

/** A TCP port that was free a moment ago. */
const freeTcpPort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/**
 * RSS of srvid over a long live run, sampled from /proc every 10 s. With `monitor`, srvid also serves its
 * monitor and one WebSocket client reads it throughout (the history and the live summaries are bounded).
 * Each sample is printed on stderr as it is taken, so a long run can be followed.
 */
export const liveMemory = async (minutes: number, monitor = false): Promise<string[]> => {
  const [a, b] = (await freeUdpPorts(2)) as [number, number];
  const monitorPort = monitor ? await freeTcpPort() : 0;
  const sink = ffmpeg(['-i', `udp://127.0.0.1:${b}?timeout=10000000`, '-f', 'null', '-']);
  const srvid = track(
    spawn(
      process.execPath,
      [
        CLI,
        `udp://127.0.0.1:${a}`,
        `udp://127.0.0.1:${b}?pkt_size=1316`,
        // The file, not the name: a shipped model that cannot keep up would have the others measured at start.
        '--model-file',
        new URL('../models/espcn-light-x2.onnx', import.meta.url).pathname,
        '--connect-timeout',
        '5',
        '-q',
        ...(monitor ? ['--monitor', `127.0.0.1:${monitorPort}`] : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  let stderr = '';
  srvid.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-2000)));
  srvid.once('close', (code) => code && console.error(`srvid ended with code ${code}: ${stderr.trim()}`));
  await sleep(1500);
  let messages = 0;
  const client = monitor ? new WebSocket(`ws://127.0.0.1:${monitorPort}/ws`) : null;
  client?.on('message', () => messages++);
  client?.on('error', () => {});
  const producer = ffmpeg([
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=640x360:r=25',
    '-f',
    'lavfi',
    '-i',
    'sine=f=440:r=48000',
    '-t',
    String(minutes * 60),
    ...TS.slice(0, -2),
    '-c:a',
    'aac',
    '-f',
    'mpegts',
    `udp://127.0.0.1:${a}?pkt_size=1316`,
  ]);
  const samples: number[] = [];
  const t0 = performance.now();
  const timer = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${srvid.pid}/status`, 'utf8'));
      if (m) {
        samples.push(Number(m[1]) / 1024);
        console.error(`live memory: ${((performance.now() - t0) / 1000).toFixed(0)} s  RSS ${(Number(m[1]) / 1024).toFixed(0)} MB`);
      }
    } catch {
      // the process has ended
    }
  }, 10_000);
  await done(producer);
  await done(srvid);
  clearInterval(timer);
  client?.close();
  await done(sink);
  const mb = (x: number | undefined): string => (x ?? NaN).toFixed(0);
  const at = (f: number): string => mb(samples[Math.floor(f * (samples.length - 1))]);
  // One figure every 5 minutes (every 30th sample), for the docs.
  const every5 = samples.filter((_, i) => i % 30 === 0).map(mb);
  return [
    `# live: memory over ${minutes} min (espcn-light, 360p→720p, 25 fps, ${monitor ? 'with --monitor and one client, ' : ''}RSS sampled every 10 s)`,
    `RSS first / last sample: ${mb(samples[0])} / ${mb(samples.at(-1))} MB; at 10 / 50 / 90 % of the run: ${at(0.1)} / ${at(0.5)} / ${at(0.9)} MB; ` +
      `peak ${mb(Math.max(...samples))} MB (${samples.length} samples)`,
    `RSS every 5 min: ${every5.join(', ')} MB`,
    ...(monitor ? [`monitor client received ${messages} messages`] : []),
  ];
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const minutes = Number(process.env.BENCH_LIVE_MINUTES ?? 1);
  // BENCH_LIVE_PARTS=memory runs the memory figure alone; BENCH_LIVE_MONITOR=1 adds --monitor and a client to it.
  const parts = (process.env.BENCH_LIVE_PARTS ?? 'latency,rate,memory').split(',');
  if (parts.includes('stdin')) {
    const clip = `${tmpdir()}/srvid-bench-live-real-640x360.mp4`;
    makeClip(clip, 640, 360, 600, [], 25);
    for (const line of await liveRealFootage(clip)) console.log(line);
  }
  if (parts.includes('latency')) for (const line of await liveLatency()) console.log(line);
  if (parts.includes('rate')) for (const line of await liveMaxRate()) console.log(line);
  if (minutes > 0 && parts.includes('memory'))
    for (const line of await liveMemory(minutes, process.env.BENCH_LIVE_MONITOR === '1')) console.log(line);
}

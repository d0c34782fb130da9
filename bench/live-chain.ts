// The live benches' chain on 127.0.0.1: a producer sending a barcoded clip over UDP in real time, a relay that
// times its first datagram, srvid (or nothing), and a consumer that reads each frame's number back.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';

export const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

/** `n` distinct UDP ports that were free a moment ago (all held open together, so none is handed out twice). */
export const freeUdpPorts = async (n: number): Promise<number[]> => {
  const sockets = Array.from({ length: n }, () => createSocket('udp4'));
  const ports = await Promise.all(
    sockets.map((s) => new Promise<number>((resolve) => s.bind(0, '127.0.0.1', () => resolve(s.address().port)))),
  );
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** 16 vertical bars, bar k white when bit k of the frame number is set: readable after scaling and x264. */
const barcode = (w: number, h: number, rate: number, seconds: number): string[] => [
  '-f',
  'lavfi',
  '-i',
  `nullsrc=s=${w}x${h}:r=${rate},format=gray,geq=lum='255*mod(floor(N/pow(2\\,floor(X*16/W)))\\,2)',format=yuv420p`,
  '-t',
  String(seconds),
];

/** The barcode clip, made once per shape beforehand: generating it live is slower than real time. */
const clips = new Map<string, string>();
const prerender = async (w: number, h: number, rate: number, seconds: number): Promise<string> => {
  const key = `${w}x${h}@${rate}x${seconds}`;
  const path = `${tmpdir()}/srvid-bench-bars-${key}.ts`;
  if (!clips.has(key)) {
    await done(ffmpeg([...barcode(w, h, rate, seconds), ...TS, path]));
    clips.set(key, path);
  }
  return path;
};

export const TS = ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-f', 'mpegts'];

const closed = new WeakMap<ChildProcess, Promise<void>>();
/** Spawned with its 'close' awaited from the start, so done() never misses it. */
export const track = (c: ChildProcess): ChildProcess => (closed.set(c, new Promise((r) => c.once('close', () => r()))), c);
export const done = (c: ChildProcess): Promise<void> => closed.get(c) ?? Promise.resolve();

export const ffmpeg = (args: string[], stdout: 'pipe' | 'ignore' = 'ignore'): ChildProcess =>
  track(spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', stdout, 'ignore'] }));

/** Reads the consumer's 64×4 gray frames; returns each frame number's arrival time (ms, performance.now()). */
const readBars = (c: ChildProcess): Map<number, number> => {
  const arrivals = new Map<number, number>();
  let buf = Buffer.alloc(0);
  c.stdout!.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 256) {
      const row = buf.subarray(128, 192); // the third row
      let n = 0;
      // A frame damaged on the way (UDP loss) has bars that are neither black nor white: not read.
      let clean = true;
      for (let k = 0; k < 16; k++) {
        const v = row[k * 4 + 2] as number;
        if (v > 128) n |= 1 << k;
        clean &&= v < 60 || v > 196;
      }
      if (clean && !arrivals.has(n)) arrivals.set(n, performance.now());
      buf = buf.subarray(256);
    }
  });
  return arrivals;
};

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

/**
 * A UDP relay on 127.0.0.1, on a port of its own: forwards every datagram to `to` and notes when the first one
 * came. The producer's frames are timed from there, not from its spawn: ffmpeg takes about 0.2 s here to start
 * sending, which is no frame's latency.
 */
const relay = async (to: number): Promise<{ port: number; first: () => number; close: () => void }> => {
  const s = createSocket('udp4');
  let first: number | null = null;
  s.on('message', (m: Buffer) => {
    first ??= performance.now();
    s.send(m, to, '127.0.0.1');
  });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    port: s.address().port,
    first: () => {
      if (first === null) throw new Error('the producer sent nothing: no latency to measure');
      return first;
    },
    close: () => s.close(),
  };
};

/** One chain: producer → relay → (srvid) → consumer; each frame's latency from its scheduled send time. */
export const chain = async (srvidArgs: string[] | null, w: number, h: number, rate: number, seconds: number) => {
  const clip = await prerender(w, h, rate, seconds); // before srvid starts: it waits --connect-timeout at most
  const [a, b] = (await freeUdpPorts(2)) as [number, number];
  const consumerPort = srvidArgs ? b : a;
  const consumer = ffmpeg(
    [
      '-threads',
      '1', // frame threads would hold frames back
      '-fflags',
      'nobuffer',
      '-flags',
      'low_delay',
      '-analyzeduration',
      '500000',
      '-probesize',
      '65536',
      '-i',
      `udp://127.0.0.1:${consumerPort}?timeout=15000000&buffer_size=8388608&fifo_size=1000000&overrun_nonfatal=1`,
      '-vf',
      'scale=64:4:flags=area',
      // One 256-byte frame at a time: ffmpeg's 32 KB output buffer would otherwise hold 128 of them back.
      '-flush_packets',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-',
    ],
    'pipe',
  );
  const arrivals = readBars(consumer);
  let srvid: ChildProcess | null = null;
  let stderr = '';
  if (srvidArgs) {
    srvid = track(
      spawn(process.execPath, [CLI, `udp://127.0.0.1:${a}`, `udp://127.0.0.1:${b}?pkt_size=1316`, '--connect-timeout', '3', ...srvidArgs], {
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    srvid.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    await sleep(1500);
  }
  const entry = await relay(a);
  // Each frame leaves as soon as it is muxed, as from a live encoder: the bars are ~500 bytes a frame, and
  // without flushing, a frame would wait up to three frames' time for its 1316-byte datagram to fill.
  const producer = ffmpeg([
    '-re',
    '-i',
    clip,
    '-c',
    'copy',
    '-flush_packets',
    '1',
    '-f',
    'mpegts',
    `udp://127.0.0.1:${entry.port}?pkt_size=1316`,
  ]);
  await done(producer);
  if (srvid) await done(srvid);
  await done(consumer);
  entry.close();
  const t0 = entry.first();
  if (srvid && !/^wrote /m.test(stderr))
    console.error(`srvid ended without its closing line: ${stderr.trim().split('\n').slice(-2).join(' | ')}`);
  // The first two seconds are start-up (ffmpeg probes a live input before its first frame), and the last
  // second is the end of the stream (decoders hand their last frames over only when the input times out):
  // both left out.
  const latencyOf = ([n, t]: [number, number]): number => t - (t0 + (1000 * n) / rate);
  const latencies = [...arrivals].filter(([n]) => n >= 2 * rate && n < rate * (seconds - 1)).map(latencyOf);
  // From the fourth second: the steady state, once the start-up's backlog (frames the encoder took while it
  // was starting, within --max-latency) has gone out.
  const steady = [...arrivals].filter(([n]) => n >= 4 * rate && n < rate * (seconds - 1)).map(latencyOf);
  const behind = /behind real time: (\d+) frames by bicubic, (\d+) dropped/.exec(stderr);
  const finished = srvid === null || /^wrote /m.test(stderr);
  // From the producer's first frame to the consumer's first decoded one: what a viewer waits at the start.
  const firstMs = Math.min(...arrivals.values()) - t0;
  return {
    latencies,
    steady,
    firstMs,
    received: arrivals.size,
    fallback: Number(behind?.[1] ?? 0),
    dropped: Number(behind?.[2] ?? 0),
    stderr,
    finished,
  };
};

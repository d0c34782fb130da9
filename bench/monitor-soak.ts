// The monitor over a long run: srvid with --monitor on an N-frame clip (640x360 → 1280x720 x2, or
// BENCH_SOAK_SIZE=WxH), 50 WebSocket clients connected for the whole run, srvid's RSS read when the frame
// messages reach 10, 50 and 90 % of the clip (flat means the history, the queues and the previews do not grow
// with the run), its peak, the rate, and what the clients got. `npm run bench` runs it with BENCH_SOAK=N (e.g. 10000); alone:
// `npm run build && BENCH_SOAK=2000 node --import tsx bench/monitor-soak.ts`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openClients, sampleRss } from '../test/helpers/monitor-clients.js';
import { makeClip } from './clips.js';

const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;

export interface SoakResult {
  readonly frames: number;
  readonly size: string;
  readonly clients: number;
  /** srvid's own rate (first frame to last), from its closing line. */
  readonly fps: number;
  readonly wallSec: number;
  readonly peakRssMB: number;
  /** RSS (MB) when the clients saw the frame messages of 10, 50 and 90 % of the clip. */
  readonly rssAt: { readonly p10: number; readonly p50: number; readonly p90: number };
  /** Per client: messages and MB received, and messages the server dropped for it (mean over the clients). */
  readonly perClient: { readonly messages: number; readonly mb: number; readonly dropped: number };
  readonly allGotSummary: boolean;
}

const rssOf = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
};

export const monitorSoak = async (clip: string, frames: number, clients = 50, size = '640x360'): Promise<SoakResult> => {
  const out = clip.replace(/\.mp4$/, '-soak-out.mp4');
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, clip, out, '-y', '--preset', 'veryfast', '--monitor', '127.0.0.1:0', '--monitor-wait'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /monitor: http:\/\/(\S+?)\//.exec(stderr);
      if (m) resolve(`ws://${m[1]}/ws`);
    });
    child.once('exit', () => reject(new Error(`srvid ended before its monitor listened: ${stderr.slice(-500)}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const rss = sampleRss(child.pid!, 1000);
  const connected = await openClients(await url, clients);
  // One more client reads each frame message's index, to read srvid's RSS at 10, 50 and 90 % of the clip.
  const marks = [0.1, 0.5, 0.9].map((f) => Math.floor(f * frames));
  const at: number[] = [];
  const [watcher] = await openClients(await url, 1);
  watcher!.ws.on('message', (data: Buffer) => {
    const index = /^\{"type":"frame","v":\d+,"index":(\d+)/.exec(data.subarray(0, 48).toString('latin1'))?.[1];
    if (index !== undefined && at.length < marks.length && Number(index) >= marks[at.length]!) at.push(rssOf(child.pid!));
  });
  const code = await exited;
  rss.stop();
  await Promise.all([...connected, watcher!].map((c) => c.closed));
  rmSync(out, { force: true });
  if (code !== 0) throw new Error(`srvid failed (${code}): ${stderr.slice(-500)}`);
  const fps = Number(/\(([\d.]+) fps\)/.exec(stderr)?.[1] ?? NaN);
  const mean = (f: (c: (typeof connected)[number]) => number): number => connected.reduce((a, c) => a + f(c), 0) / connected.length;
  return {
    frames,
    size,
    clients,
    fps,
    wallSec: (performance.now() - t0) / 1000,
    peakRssMB: rss.peakMB(),
    rssAt: { p10: at[0] ?? NaN, p50: at[1] ?? NaN, p90: at[2] ?? NaN },
    perClient: { messages: mean((c) => c.seen.messages), mb: mean((c) => c.seen.bytes) / 2 ** 20, dropped: mean((c) => c.seen.dropped) },
    allGotSummary: connected.every((c) => c.seen.summary),
  };
};

export const formatSoak = (r: SoakResult): string =>
  `${r.frames} frames ${r.size} x2, --monitor with ${r.clients} clients: ${r.fps.toFixed(1)} fps (wall ${r.wallSec.toFixed(0)} s), ` +
  `RSS at 10/50/90 % of the run ${r.rssAt.p10.toFixed(0)} / ${r.rssAt.p50.toFixed(0)} / ${r.rssAt.p90.toFixed(0)} MB, peak ${r.peakRssMB.toFixed(0)} MB; ` +
  `each client got ${r.perClient.messages.toFixed(0)} messages (${r.perClient.mb.toFixed(1)} MB, ${r.perClient.dropped.toFixed(0)} dropped)` +
  `${r.allGotSummary ? ', all the summary' : ', NOT ALL THE SUMMARY'}`;

/** Makes the clip in `dir` and runs the soak on it. */
export const soakIn = async (
  dir: string,
  frames: number,
  clients = 50,
  size = process.env.BENCH_SOAK_SIZE || '640x360',
): Promise<SoakResult> => {
  const clip = join(dir, `soak-${frames}.mp4`);
  const [w, h] = size.split('x').map(Number) as [number, number];
  makeClip(clip, w, h, frames);
  return monitorSoak(clip, frames, clients, size);
};

// Alone: BENCH_SOAK frames (default 2000), BENCH_SOAK_CLIENTS clients (default 50).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const frames = Number(process.env.BENCH_SOAK || 2000);
  const dir = mkdtempSync(join(tmpdir(), 'srvid-soak-'));
  try {
    console.log(formatSoak(await soakIn(dir, frames, Number(process.env.BENCH_SOAK_CLIENTS || 50))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

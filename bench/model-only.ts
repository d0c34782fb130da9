// The network alone, on Y planes: one session on this thread, worker sessions all at once, a recurrent model with
// its state carried, a frame's luma with its conversions, and the CPU's own per-core peaks to compare them with.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LumaModel } from '../src/pipeline/ports.js';
import { loadOnnxLuma, loadOnnxRecurrent } from '../src/models/backends/onnxruntime.js';
import { loadTfjs, loadTfjsLuma, type TfjsFlavour } from '../src/models/backends/tfjs.js';
import { findModel, type ModelEntry } from '../src/models/registry.js';
import { quantize } from '../src/image/resize.js';

/** ms per frame, frames per second, and the network's GFLOP/s. */
export interface Measured {
  readonly ms: number;
  readonly fps: number;
  readonly gflops: number;
}

export const flopsPerFrame = (entry: ModelEntry, w: number, h: number): number =>
  2 * Number((entry.meta.architecture as { macsPerLrPixel?: number })?.macsPerLrPixel ?? 0) * w * h;

export const available = (family: string, scale: number): ModelEntry | null => {
  try {
    return findModel(family, scale);
  } catch {
    return null;
  }
};

export const testInput = (w: number, h: number, batch = 1): Float32Array =>
  new Float32Array(batch * w * h).map((_, i) => ((i * 2654435761) % 256) / 255);

/** A recurrent model (rvsr) on this thread, its state carried from call to call as in a run: ms per frame. */
export const modelOnlyRecurrent = async (entry: ModelEntry, w: number, h: number, threads: number): Promise<Measured> => {
  const model = await loadOnnxRecurrent({ path: entry.path, name: entry.name, scale: entry.scale, threads });
  const y = testInput(w, h);
  const s = entry.scale;
  let past: { readonly yUp: Float32Array; readonly state: Float32Array } = {
    yUp: new Float32Array(s * s * w * h),
    state: new Float32Array(model.stateChannels * w * h),
  };
  const step = async (): Promise<void> => {
    past = await model.step({ y, yPrev: y, yUpPrev: past.yUp, state: past.state }, w, h);
  };
  for (let i = 0; i < 2; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < 6; i++) await step();
  const ms = (performance.now() - t0) / 6;
  await model.dispose();
  return { ms, fps: 1000 / ms, gflops: flopsPerFrame(entry, w, h) / (ms * 1e6) };
};

/** One session on this thread: ms per call (batch frames a call). */
export const modelOnly = async (
  entry: ModelEntry,
  w: number,
  h: number,
  threads: number,
  tfjs?: TfjsFlavour,
  batch = 1,
): Promise<Measured> => {
  const m = { path: entry.path, name: entry.name, scale: entry.scale };
  if (batch > 1) {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(entry.path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const x = new ort.Tensor('float32', testInput(w, h, batch), [batch, 1, h, w]);
    const name = session.inputNames[0] as string;
    for (let i = 0; i < 2; i++) await session.run({ [name]: x });
    const t0 = performance.now();
    for (let i = 0; i < 6; i++) await session.run({ [name]: x });
    const ms = (performance.now() - t0) / 6 / batch;
    await session.release();
    return { ms, fps: 1000 / ms, gflops: flopsPerFrame(entry, w, h) / (ms * 1e6) };
  }
  const model: LumaModel = tfjs ? await loadTfjsLuma({ ...m, runtime: await loadTfjs(tfjs) }) : await loadOnnxLuma({ ...m, threads });
  const input = testInput(w, h);
  for (let i = 0; i < 2; i++) await model.run(input, w, h);
  const n = tfjs ? 3 : 10;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await model.run(input, w, h);
  const ms = (performance.now() - t0) / n;
  await model.dispose();
  return { ms, fps: 1000 / ms, gflops: flopsPerFrame(entry, w, h) / (ms * 1e6) };
};

/**
 * A frame's luma on one thread as a worker handles it, conversions included: 8-bit samples to Y/255 floats,
 * the float graph, rounding back to 8 bits (how every model ran before issue #23's byte graphs); or the
 * graph given 8-bit input and output (`io8`), fed the samples as they are. ms per frame.
 */
export const lumaStage = async (entry: ModelEntry, w: number, h: number, io8: boolean): Promise<number> => {
  const model = await loadOnnxLuma({ path: entry.path, name: entry.name, scale: entry.scale, threads: 1, io8 });
  const bytes = quantize(testInput(w, h), new Uint8Array(w * h), 255, 255);
  const s2 = entry.scale * entry.scale;
  const floats = new Float32Array(w * h);
  const out = new Float32Array(s2 * w * h);
  const out8 = new Uint8Array(s2 * w * h);
  const frame = async (): Promise<void> => {
    if (model.run8) {
      await model.run8(bytes, w, h, out8);
      return;
    }
    for (let i = 0; i < floats.length; i++) floats[i] = (bytes[i] as number) / 255;
    quantize(await model.run(floats, w, h, out), out8, 255, 255);
  };
  try {
    for (let i = 0; i < 2; i++) await frame();
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await frame();
    return (performance.now() - t0) / 10;
  } finally {
    await model.dispose();
  }
};

/** `workers` one-thread sessions in worker threads, all running at once, as srvid's video path does. */
export const modelOnlyWorkers = async (entry: ModelEntry, w: number, h: number, workers: number): Promise<Measured> => {
  const ort = import.meta.resolve('onnxruntime-node');
  const code = `
    const { parentPort, workerData: d } = require('node:worker_threads');
    import(${JSON.stringify(ort)}).then(async (ort) => {
      const s = await ort.InferenceSession.create(d.path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const x = new ort.Tensor('float32', new Float32Array(d.w * d.h).map((_, i) => ((i * 2654435761) % 256) / 255), [1, 1, d.h, d.w]);
      for (let i = 0; i < 2; i++) await s.run({ [s.inputNames[0]]: x });
      parentPort.postMessage('warm');
      await new Promise((r) => parentPort.once('message', r));
      const t0 = performance.now();
      let frames = 0;
      while (performance.now() - t0 < d.seconds * 1000) {
        await s.run({ [s.inputNames[0]]: x });
        frames++;
      }
      parentPort.postMessage(frames / (performance.now() - t0));
    });`;
  // Each worker runs for the same few seconds, all at once; their rates add up.
  const pool = Array.from({ length: workers }, () => new Worker(code, { eval: true, workerData: { path: entry.path, w, h, seconds: 4 } }));
  await Promise.all(pool.map((wk) => new Promise((r) => wk.once('message', r))));
  const done = pool.map((wk) => new Promise<number>((r) => wk.once('message', r)));
  for (const wk of pool) wk.postMessage('go');
  const perMs = (await Promise.all(done)).reduce((a, b) => a + b, 0);
  await Promise.all(pool.map((wk) => wk.terminate()));
  const ms = 1 / perMs; // wall time per frame with all workers busy
  return { ms, fps: 1000 / ms, gflops: flopsPerFrame(entry, w, h) / (ms * 1e6) };
};

/**
 * The per-core peaks of this CPU (bench/peak.c, built with the system compiler): float32 FMA and int8 VNNI
 * multiply-adds per second on one thread, GMAC/s. Null where there is no C compiler or no AVX-512 VNNI.
 */
export const corePeaks = (dir: string): { fp32: number; int8: number } | null => {
  const exe = join(dir, 'peak');
  const cc = spawnSync('cc', ['-O3', '-mavx512f', '-mavx512vnni', '-o', exe, new URL('./peak.c', import.meta.url).pathname], {
    encoding: 'utf8',
  });
  if (cc.status !== 0 || !/avx512_vnni/.test(readFileSync('/proc/cpuinfo', 'utf8'))) return null;
  const r = spawnSync(exe, { encoding: 'utf8' });
  const fp32 = /fp32 ([\d.]+)/.exec(r.stdout);
  const int8 = /int8 ([\d.]+)/.exec(r.stdout);
  return fp32 && int8 ? { fp32: Number(fp32[1]), int8: Number(int8[1]) } : null;
};

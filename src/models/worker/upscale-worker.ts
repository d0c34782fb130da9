/**
 * Worker-thread entry: one onnxruntime session and the whole per-frame job (Y to floats, the network, chroma,
 * rounding), so that several frames are upscaled at once while the main thread only moves bytes between
 * ffmpeg's pipes. Protocol in worker-upscaler.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeFrame } from '../../pipeline/frame.js';
import { loadOnnxLuma, loadOnnxRecurrent } from '../backends/onnxruntime.js';
import { createFrameUpscaler } from '../espcn/upscale-frame.js';
import { createRecurrentUpscaler } from '../rvsr/recurrent-upscaler.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('upscale-worker.ts runs as a worker thread only');
const config = workerData as WorkerConfig;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

/** The injected fault (WorkerConfig.fault), on frame 3. */
const injectFault = (index: number): void => {
  if (!config.fault || index !== 3) return;
  if (config.fault === 'throw') throw new Error('injected fault on frame 3 (a worker that throws)');
  process.exit(1);
};

try {
  const load = { path: config.path, name: config.name, scale: config.scale, threads: config.threads };
  const upscaler = config.recurrent
    ? createRecurrentUpscaler(await loadOnnxRecurrent(load), config.tiling, config.motion ?? null)
    : createFrameUpscaler(await loadOnnxLuma({ ...load, io8: config.io8 }), config.tiling, { reuseBuffers: true }); // one frame at a time, see pump
  // One frame at a time from a queue the worker owns, so that `close` can drop what has not started. The
  // worker is never terminated mid-inference: onnxruntime-node aborts the whole process when its result
  // cannot be delivered to a terminating thread.
  const queue: ToWorker[] = [];
  let busy = false;
  let closing = false;
  const finish = async (): Promise<void> => {
    await upscaler.dispose();
    port.close();
  };
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    for (let job = queue.shift(); job && !closing; job = queue.shift()) {
      const { id } = job;
      try {
        const frame = makeFrame(job.index, job.ptsMs, job.format, job.bytes);
        const { frame: out, times } = await (job.alone && upscaler.upscaleAlone ? upscaler.upscaleAlone(frame) : upscaler.upscale(frame));
        send({ kind: 'done', id, bytes: out.bytes, times }, [out.bytes.buffer as ArrayBuffer]);
      } catch (err) {
        send({ kind: 'failed', id, message: (err as Error).message });
      }
    }
    busy = false;
    if (closing) await finish();
  };
  port.on('message', (m: ToWorker | 'close') => {
    if (m === 'close') {
      closing = true;
      queue.length = 0;
      if (!busy) void finish();
      return;
    }
    injectFault(m.index);
    queue.push(m);
    void pump();
  });
  send({ kind: 'ready', backend: upscaler.runtime.backend });
} catch (err) {
  send({ kind: 'broken', message: (err as Error).message });
}

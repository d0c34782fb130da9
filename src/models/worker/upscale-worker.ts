/**
 * Worker-thread entry: one onnxruntime session and the whole per-frame job (Y to floats, the network, chroma,
 * rounding), so that several frames are upscaled at once while the main thread only moves bytes between
 * ffmpeg's pipes. Protocol in worker-upscaler.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeFrame } from '../../pipeline/frame.js';
import { loadOnnxLuma } from '../backends/onnxruntime.js';
import { createFrameUpscaler } from '../espcn/upscale-frame.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('upscale-worker.ts runs as a worker thread only');
const config = workerData as WorkerConfig;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

try {
  const model = await loadOnnxLuma({ path: config.path, name: config.name, scale: config.scale, threads: config.threads });
  const upscaler = createFrameUpscaler(model, config.tiling);
  port.on('message', (job: ToWorker) => {
    const frame = makeFrame(job.index, job.ptsMs, job.format, job.bytes);
    upscaler.upscale(frame).then(
      ({ frame: out, times }) => send({ kind: 'done', id: job.id, bytes: out.bytes, times }, [out.bytes.buffer as ArrayBuffer]),
      (err: unknown) => send({ kind: 'failed', id: job.id, message: (err as Error).message }),
    );
  });
  send({ kind: 'ready', backend: model.backend });
} catch (err) {
  send({ kind: 'broken', message: (err as Error).message });
}

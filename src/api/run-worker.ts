/**
 * `srvid worker --queue redis://…`: serves the segment queue until its signal aborts, with this machine's
 * ffmpeg and best backend (the loop itself: src/segments/serve-segments.ts).
 */
import { resolveFfmpeg } from '../ffmpeg/resolve-ffmpeg.js';
import type { VideoModelOptions } from '../models/load-upscaler.js';
import { parseQueueUrl } from '../segments/queue.js';
import { serveSegments } from '../segments/serve-segments.js';
import { loadVideoUpscaler } from './load-model.js';
import { resolveOptions, type RunHooks } from './run-options.js';

export interface RunWorkerOptions extends Omit<VideoModelOptions, 'scale' | 'model' | 'modelFile'> {
  readonly queue: string;
  readonly ffmpeg?: string;
  readonly ffprobe?: string;
  /** Frames in flight in each segment's pipeline (default 8, as for a video run). */
  readonly maxFramesInFlight?: number;
  readonly signal?: AbortSignal;
  /** A line per segment taken and finished, and when the worker is ready. */
  readonly onNote?: (line: string) => void;
  readonly hooks?: RunHooks;
}

/**
 * Serves the queue until `signal` aborts.
 *
 * @example
 * const ac = new AbortController();
 * await runWorker({ queue: 'redis://10.0.0.5:6379', signal: ac.signal, onNote: console.error });
 */
export const runWorker = async (options: RunWorkerOptions): Promise<{ segments: number }> => {
  const o = resolveOptions(options);
  parseQueueUrl(o.queue);
  const tools = await resolveFfmpeg({ ffmpeg: o.ffmpeg, ffprobe: o.ffprobe });
  return serveSegments({
    ...o,
    tools,
    model: o,
    load: (choice, resolved) => loadVideoUpscaler({ ...choice, hooks: o.hooks }, resolved),
    beforeSegment: o.hooks?.beforeSegment,
  });
};

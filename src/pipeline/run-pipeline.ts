/**
 * The one place that composes the stages. A frame goes: source (decoder, bounded) → upscaler (up to
 * `concurrent` at once) → ensureOrder → sink (encoder) → released back to the source, which may then
 * read another. Abort or any stage's error tears everything down and removes partial output.
 */
import { tap, type Subscription } from 'rxjs';
import { AbortedError } from '../errors.js';
import type { FrameSink, FrameSource, Progress, Upscaler } from './ports.js';
import { ensureOrder } from './operators/ensure-order.js';
import { upscaleFrames } from './operators/upscale-frames.js';
import { writeFrames } from './operators/write-frames.js';
import { createProgressMeter } from './progress.js';

export interface PipelineOptions {
  readonly source: FrameSource;
  readonly upscaler: Upscaler;
  readonly sink: FrameSink;
  /** Frames in the model at once. */
  readonly concurrent: number;
  readonly totalFrames?: number | null;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: Progress) => void;
}

export interface PipelineResult {
  readonly frames: number;
  readonly elapsedSec: number;
  readonly fps: number;
}

export const runPipeline = async (o: PipelineOptions): Promise<PipelineResult> => {
  const meter = createProgressMeter(o.totalFrames ?? null);
  let last: Progress | null = null;
  const frames$ = o.source.frames().pipe(
    upscaleFrames(o.upscaler, o.concurrent),
    ensureOrder((f) => f.index),
    writeFrames(o.sink),
    tap((frame) => {
      o.source.release(frame);
      last = meter();
      o.onProgress?.(last);
    }),
  );
  // One rejection for the whole run, frames and the encoder's final flush alike.
  let subscription: Subscription | null = null;
  let onAbort = (): void => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      subscription?.unsubscribe(); // stops the decoder
      reject(new AbortedError());
    };
  });
  aborted.catch(() => {}); // observed through Promise.race below
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (o.signal?.aborted) throw new AbortedError();
    await Promise.race([
      aborted,
      new Promise<void>((resolve, reject) => {
        subscription = frames$.subscribe({ complete: resolve, error: reject });
      }),
    ]);
    await Promise.race([aborted, o.sink.finish()]);
  } catch (err) {
    await o.sink.abort();
    throw err;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  const p = last as Progress | null;
  return { frames: p?.frames ?? 0, elapsedSec: p?.elapsedSec ?? 0, fps: p?.fps ?? 0 };
};

import { concatMap, map, from, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { FrameSink } from '../ports.js';

/**
 * Writes frames one at a time, in arrival order; each item is re-emitted, with how long the sink took to accept
 * it (the encoder's backpressure), once the sink has taken its frame.
 */
export const writeFrames = <T>(sink: FrameSink, frameOf: (item: T) => Frame): OperatorFunction<T, T & { encodeWaitMs: number }> =>
  concatMap((item) => {
    const t = performance.now();
    return from(sink.write(frameOf(item))).pipe(map(() => ({ ...item, encodeWaitMs: performance.now() - t })));
  });

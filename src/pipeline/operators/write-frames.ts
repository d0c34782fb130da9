import { concatMap, map, from, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { FrameSink } from '../ports.js';

/** Writes frames one at a time, in arrival order; each item is re-emitted once the sink has taken its frame. */
export const writeFrames = <T = Frame>(sink: FrameSink, frameOf: (item: T) => Frame = (item) => item as unknown as Frame): OperatorFunction<T, T> =>
  concatMap((item) => from(sink.write(frameOf(item))).pipe(map(() => item)));

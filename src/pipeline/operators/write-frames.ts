import { concatMap, map, from, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { FrameSink } from '../ports.js';

/** Writes frames one at a time, in arrival order; each is re-emitted once the sink has taken it. */
export const writeFrames = (sink: FrameSink): OperatorFunction<Frame, Frame> =>
  concatMap((frame) => from(sink.write(frame)).pipe(map(() => frame)));

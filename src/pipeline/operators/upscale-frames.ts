import { mergeMap, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { Upscaler } from '../ports.js';

/** Upscales frames with at most `concurrent` in the model at once; output may be out of order (see ensureOrder). */
export const upscaleFrames = (upscaler: Upscaler, concurrent: number): OperatorFunction<Frame, Frame> =>
  mergeMap((frame) => upscaler.upscale(frame), concurrent);

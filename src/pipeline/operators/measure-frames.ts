import { concatMap, from, map, of, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { FrameQuality, QualityProbe } from '../ports.js';

/**
 * Measures upscaled frames one at a time, in order (a reference video is read in order too). Without a
 * probe it passes frames on with `quality: null`. `inputsOf` finds the decoded frame and the model's input.
 */
export const measureFrames = (
  probe: QualityProbe | undefined,
  inputsOf: (output: Frame) => { readonly source: Frame; readonly modelInput: Frame },
): OperatorFunction<Frame, { output: Frame; quality: FrameQuality | null }> =>
  concatMap((output) => {
    if (!probe) return of({ output, quality: null });
    const { source, modelInput } = inputsOf(output);
    return from(probe.measure(source, modelInput, output)).pipe(map((quality) => ({ output, quality })));
  });

import { concatMap, from, map, of, type OperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';
import type { FrameQuality, QualityProbe } from '../ports.js';

/**
 * Measures upscaled frames one at a time, in order (a reference video is read in order too). Without a
 * probe it passes frames on with `quality: null`. `inputsOf` finds the decoded frame and the model's input.
 * `qualityMs` is the metrics' compute time (waiting for a reference frame is not counted). With `skip`
 * (live runs), a frame is passed on unmeasured while skip() says the run is behind: metrics never add lag.
 */
export const measureFrames = <T extends { readonly frame: Frame }>(
  probe: QualityProbe | undefined,
  inputsOf: (output: Frame) => { readonly source: Frame; readonly modelInput: Frame },
  skip: () => boolean = () => false,
): OperatorFunction<T, T & { quality: FrameQuality | null; qualityMs: number }> =>
  concatMap((item) => {
    if (!probe) return of({ ...item, quality: null, qualityMs: 0 });
    if (skip()) {
      probe.release?.(inputsOf(item.frame).source);
      return of({ ...item, quality: null, qualityMs: 0 });
    }
    const { source, modelInput } = inputsOf(item.frame);
    return from(probe.measure(source, modelInput, item.frame)).pipe(
      map((quality) => {
        const c = quality?.costMs;
        return { ...item, quality, qualityMs: c ? c.bicubic + c.resize + c.psnr + c.ssim + (c.shadow ?? 0) : 0 };
      }),
    );
  });

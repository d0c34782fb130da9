/**
 * The video upscaler as the entry points load it: src/models' loader, with the caller's hooks (RunHooks: a
 * hold at 'load', a wrapped upscaler, a fault in the worker threads). Choosing the model file lives in
 * src/models/resolve-model.ts.
 */
import { loadVideoUpscaler as loadUpscaler, type VideoModelChoice } from '../models/load-upscaler.js';
import { resolveModel, type ResolvedModel } from '../models/resolve-model.js';
import type { Upscaler } from '../pipeline/ports.js';
import type { RunHooks } from './run-options.js';

// upscale-video.ts takes these from here.
export { resolveModel, type VideoModelChoice };

/** The frame upscaler for videos, loaded once (see src/models/load-upscaler.ts), with the caller's hooks. */
export const loadVideoUpscaler = (
  o: VideoModelChoice & { readonly hooks?: RunHooks },
  resolved: ResolvedModel = resolveModel(o),
): Promise<Upscaler> =>
  loadUpscaler({ ...o, workerFault: o.hooks?.workerFault }, resolved, async (u) => {
    await o.hooks?.at?.('load', o.signal);
    return o.hooks?.wrapUpscaler?.(u) ?? u;
  });

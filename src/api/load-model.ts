/**
 * The video upscaler as the entry points load it: src/models' loader, with the test hooks that hold a load
 * (SRVID_TEST_HOLD=load) or slow the network down (SRVID_TEST_SLOW_MODEL_MS), which stay here until test seams
 * are injected instead. Choosing the model file lives in src/models/resolve-model.ts.
 */
import { loadVideoUpscaler as loadUpscaler, type VideoModelChoice } from '../models/load-upscaler.js';
import { resolveModel, type ResolvedModel } from '../models/resolve-model.js';
import type { Upscaler } from '../pipeline/ports.js';
import { holdForTests } from './test-hold.js';

// upscale-video.ts takes these from here.
export { resolveModel, type VideoModelChoice };

/**
 * A test-only hook: SRVID_TEST_SLOW_MODEL_MS=N makes every network call take N ms longer, so the tests can
 * put a live run behind real time on purpose. Unset, the upscaler is returned as it is.
 */
const slowedForTests = (u: Upscaler): Upscaler => {
  const ms = Number(process.env.SRVID_TEST_SLOW_MODEL_MS ?? 0);
  if (!(ms > 0)) return u;
  return { ...u, upscale: async (f) => (await new Promise((r) => setTimeout(r, ms)), u.upscale(f)), dispose: () => u.dispose() };
};

/** The frame upscaler for videos, loaded once (see src/models/load-upscaler.ts), and the test hooks. */
export const loadVideoUpscaler = (o: VideoModelChoice, resolved: ResolvedModel = resolveModel(o)): Promise<Upscaler> =>
  loadUpscaler(o, resolved, async (u) => {
    await holdForTests('load', o.signal, o.onWarning);
    return slowedForTests(u);
  });

/** The run as the monitor's hello, the report and a result describe it: for plain and segmented runs alike. */
import type { RunDescription } from '../monitor/messages.js';
import type { UpscalerRuntime, VideoInfo } from '../pipeline/ports.js';
import type { RunPlan } from './plan-run.js';

/** What the request says, as far as the description needs it. */
export interface DescribedRequest {
  readonly input: string;
  readonly output: string;
  readonly scale: number;
}

/** The run as the monitor's hello and the report describe it. */
export const describeRun = (
  o: DescribedRequest,
  info: VideoInfo,
  plan: RunPlan,
  runtime: UpscalerRuntime,
  crop: number,
  live: boolean,
): RunDescription => ({
  input: o.input,
  output: o.output,
  inputSize: { width: info.width, height: info.height },
  modelInputSize: plan.modelInputSize,
  outputSize: plan.outputSize,
  scale: o.scale,
  model: runtime.model,
  backend: runtime.backend,
  mode: plan.mode,
  reference: plan.referenceLabel,
  detailEvery: plan.detailEvery,
  crop,
  frameRate: info.frameRate,
  totalFrames: info.frameCount,
  live,
});

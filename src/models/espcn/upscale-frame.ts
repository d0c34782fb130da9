/** A frame upscaler: the luma model on Y, bicubic on the 4:2:0 chroma planes. */
import { allocateFrame, bitDepth, type Frame, type Plane } from '../../pipeline/frame.js';
import { leftSitedShift, quantize, resizeBicubic } from '../../pipeline/image/resize.js';
import type { LumaModel, Upscaler } from '../../pipeline/ports.js';

/**
 * The network was trained on 8-bit Y/255. A 10-bit plane is fed as Y/1020 (= 4 × 255), so studio-range
 * levels line up with the 8-bit ones (64..940 ↔ 16..235).
 */
export const lumaPeak = (depth: number): number => 255 * (1 << (depth - 8));

export const upscaleLuma = async (model: LumaModel, plane: Plane, depth: number): Promise<Float32Array> => {
  const peak = lumaPeak(depth);
  const input = new Float32Array(plane.data.length);
  for (let i = 0; i < input.length; i++) input[i] = (plane.data[i] as number) / peak;
  const out = await model.run(input, plane.width, plane.height);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * peak;
  return out;
};

export const createFrameUpscaler = (model: LumaModel): Upscaler => {
  const s = model.scale;
  return {
    scale: s,
    description: `${model.name} (${model.backend})`,
    upscale: async (frame: Frame): Promise<Frame> => {
      const depth = bitDepth(frame.format.pixFmt);
      const max = (1 << depth) - 1;
      const out = allocateFrame(frame.index, frame.ptsMs, {
        ...frame.format,
        width: frame.format.width * s,
        height: frame.format.height * s,
      });
      const [y, u, v] = frame.planes;
      const [oy, ou, ov] = out.planes;
      // onnxruntime-node runs the session synchronously (in a setImmediate): luma and chroma do not overlap
      // on this thread yet; moving inference to a worker is the throughput issue's job.
      const luma = upscaleLuma(model, y, depth);
      for (const [src, dst] of [
        [u, ou],
        [v, ov],
      ] as const) {
        quantize(resizeBicubic(src.data, src.width, src.height, dst.width, dst.height, { scaleX: s, scaleY: s, shiftX: leftSitedShift(s) }), dst.data, max);
      }
      quantize(await luma, oy.data, max);
      return out;
    },
    dispose: () => model.dispose(),
  };
};

// Run an exported ONNX model with onnxruntime-node on one luma plane, for training/check_classic.py
// (onnxruntime has no Python package here).
//   node training/onnx_run.mjs model.onnx in.f32 WIDTH HEIGHT out.f32
// in.f32: Y/255 as raw float32, row-major; out.f32: the model's output the same way; prints its shape.
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, input, width, height, output] = process.argv.slice(2);
const [w, h] = [Number(width), Number(height)];
const bytes = readFileSync(input);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
if (data.length !== w * h) throw new Error(`${input}: ${data.length} samples, expected ${w}x${h}`);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, [1, 1, h, w]) });
const out = result[session.outputNames[0]];
writeFileSync(output, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
console.log(JSON.stringify(out.dims));
await session.release();

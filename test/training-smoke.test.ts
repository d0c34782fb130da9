// One tiny training run of training/train.py with Debian's PyTorch: trains, validates, checkpoints,
// resumes, writes the curves and exports an ONNX model that onnxruntime then loads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadOnnxLuma, loadOnnxRecurrent } from '../src/models/backends/onnxruntime.js';
import { readOnnxGraph } from '../src/models/espcn/read-onnx-weights.js';
import { resizeBicubic } from '../src/image/resize.js';
import { realLuma, realLumaFrames } from './helpers/real-luma.js';

const PYTHON = process.env.SRVID_PYTHON ?? '/usr/bin/python3';
const TRAIN = new URL('../training/train.py', import.meta.url).pathname;
const QAT = new URL('../training/qat.py', import.meta.url).pathname;
const QUANTIZE_CHAIN = new URL('../training/quantize_chain.py', import.meta.url).pathname;
const CHECK_COLLAPSE = new URL('../training/check_collapse.py', import.meta.url).pathname;
const CHECK_CLASSIC = new URL('../training/check_classic.py', import.meta.url).pathname;
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, PIL, matplotlib'], { stdio: 'ignore' }).status === 0;

describe(
  'training smoke test',
  { skip: !hasTorch && `needs ${PYTHON} with torch, PIL and matplotlib (apt-get install python3-torch python3-pil python3-matplotlib)` },
  () => {
    let dir = '';
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'srvid-train-'));
      for (const sub of ['train', 'val']) mkdirSync(join(dir, sub));
      for (let i = 0; i < 3; i++) {
        const n = 64;
        const px = Buffer.alloc(n * n * 3);
        for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) px.fill((x * (i + 3) + y * 5) % 256, (y * n + x) * 3, (y * n + x) * 3 + 3);
        await sharp(px, { raw: { width: n, height: n, channels: 3 } })
          .png()
          .toFile(join(dir, i < 2 ? 'train' : 'val', `img${i}.png`));
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const train = (steps: number, extra: string[] = []) =>
      spawnSync(
        PYTHON,
        [
          TRAIN,
          '--scale',
          '2',
          '--train',
          join(dir, 'train'),
          '--val',
          join(dir, 'val'),
          '--out',
          join(dir, 'run'),
          '--models',
          join(dir, 'models'),
          '--steps',
          String(steps),
          '--batch',
          '4',
          '--patch',
          '8',
          '--val-every',
          '1',
          '--ckpt-every',
          '1',
          '--extra-scales',
          '--threads',
          '1',
          '--seed',
          '3',
          ...extra,
        ],
        { encoding: 'utf8', timeout: 300_000 },
      );

    /** A real w×h luma crop through a SESR run's checkpoint with its blocks expanded (PyTorch) and through an ONNX export (onnxruntime). */
    const expandedAgainstOnnx = async (run: string, onnx: string, w: number, h: number) => {
      const luma = realLuma(w, h);
      const [input, output] = [join(dir, 'collapse-in.f32'), join(dir, 'collapse-out.f32')];
      writeFileSync(input, luma);
      const c = spawnSync(PYTHON, [CHECK_COLLAPSE, run, '--input', input, '--size', String(w), String(h), '--out', output], {
        encoding: 'utf8',
      });
      assert.equal(c.status, 0, c.stderr);
      const expanded = new Float32Array(readFileSync(output).buffer.slice(0));
      const model = await loadOnnxLuma({ path: onnx, name: onnx, scale: 2, threads: 1 });
      const collapsed = await model.run(luma, w, h);
      await model.dispose();
      assert.equal(collapsed.length, expanded.length);
      let worst = 0;
      for (let i = 0; i < collapsed.length; i++) worst = Math.max(worst, Math.abs((collapsed[i] as number) - (expanded[i] as number)));
      return { luma, expanded, worst };
    };

    /** How far an x2 output moves from its input's nearest-neighbour upscale (a zero network moves nothing). */
    const spreadFromNearest = (luma: Float32Array, out: Float32Array, w: number): number => {
      let spread = 0;
      for (let i = 0; i < out.length; i++) {
        const nearest = luma[Math.floor(Math.floor(i / (2 * w)) / 2) * w + Math.floor((i % (2 * w)) / 2)] as number;
        spread = Math.max(spread, Math.abs((out[i] as number) - nearest));
      }
      return spread;
    };

    /** quantize_chain.py on a float chain, two fine-tuning steps on the tiny sets; its stdout and the int8 graph. */
    const quantiseChain = (float: string, out: string) => {
      const r = spawnSync(
        PYTHON,
        [
          QUANTIZE_CHAIN,
          float,
          '--out',
          out,
          '--train',
          join(dir, 'train'),
          '--val',
          join(dir, 'val'),
          '--steps',
          '2',
          '--batch',
          '4',
          '--patch',
          '8',
          '--calibration-patches',
          '32',
          '--val-every',
          '1',
        ],
        { encoding: 'utf8', timeout: 300_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const graph = readOnnxGraph(readFileSync(out));
      // QDQ form: every convolution reads int8 weights and a quantised input through DequantizeLinear
      // (onnxruntime fuses each into an integer convolution).
      const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n.op] as const)));
      const convs = graph.nodes.filter((n) => n.op === 'Conv');
      for (const c of convs)
        assert.deepEqual(
          c.inputs.map((i) => producer.get(i)),
          ['DequantizeLinear', 'DequantizeLinear', 'DequantizeLinear'],
          `a convolution is left in float: ${c.inputs.join(', ')}`,
        );
      return { stdout: r.stdout, graph, convs };
    };

    /** RMS difference, in 8-bit levels, between two x2 models on a w×h luma plane. */
    const rmsLevels = async (paths: [string, string], luma: Float32Array, w: number, h: number): Promise<number> => {
      const models = await Promise.all(paths.map((path) => loadOnnxLuma({ path, name: path, scale: 2, threads: 1 })));
      const [a, b] = await Promise.all(models.map((m) => m.run(luma, w, h)));
      await Promise.all(models.map((m) => m.dispose()));
      let sq = 0;
      for (let i = 0; i < a!.length; i++) sq += (((a![i] as number) - (b![i] as number)) * 255) ** 2;
      return Math.sqrt(sq / a!.length);
    };

    /** A run's last validation scores (val.csv's columns after the step and the seconds). */
    const lastValidation = (run: string): string[] =>
      readFileSync(join(dir, run, 'val.csv'), 'utf8')
        .trim()
        .split('\n')
        .at(-1)!
        .split(',')
        .slice(2);

    it('trains, checkpoints, resumes and exports a model onnxruntime runs', async () => {
      const first = train(1, ['--no-export']);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /step 1\/1 .*val \d+\.\d+ dB/);
      for (const f of ['ckpt.pt', 'train.csv', 'val.csv', 'curves.png', 'args.json']) assert.ok(existsSync(join(dir, 'run', f)), f);
      assert.equal(JSON.parse(readFileSync(join(dir, 'run', 'args.json'), 'utf8')).seed, 3);

      const second = train(2, ['--resume']);
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /resumed at step 1/);
      assert.equal(JSON.parse(readFileSync(join(dir, 'run', 'args-resume-1.json'), 'utf8')).steps, 2);
      assert.equal(JSON.parse(readFileSync(join(dir, 'run', 'args.json'), 'utf8')).steps, 1);
      const val = readFileSync(join(dir, 'run', 'val.csv'), 'utf8')
        .trim()
        .split('\n');
      assert.deepEqual(
        val.map((l) => l.split(',')[0]),
        ['step', '1', '2'],
      );

      const meta = JSON.parse(readFileSync(join(dir, 'models', 'espcn-x2.json'), 'utf8'));
      assert.equal(meta.scale, 2);
      assert.equal(meta.architecture.macsPerLrPixel, 21184);
      assert.equal(meta.steps, 2);
      const model = await loadOnnxLuma({ path: join(dir, 'models', 'espcn-x2.onnx'), name: 'smoke', scale: 2, threads: 1 });
      const out = await model.run(new Float32Array(9 * 7).fill(0.3), 9, 7);
      assert.equal(out.length, 18 * 14);
      assert.ok(out.every(Number.isFinite));
      await model.dispose();
    });

    it('starts a new schedule from trained weights with --init, and counts the earlier steps in the metadata', () => {
      // With a learning rate of 0 the weights stay the --init ones, so the new run's validation must equal the
      // last one of the run it started from; random weights would not.
      const r = train(1, [
        '--out',
        join(dir, 'run2'),
        '--models',
        join(dir, 'models2'),
        '--init',
        join(dir, 'run', 'ckpt.pt'),
        '--lr',
        '0',
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /initialised from .*ckpt\.pt \(trained 2 steps\)/);
      assert.deepEqual(lastValidation('run2'), lastValidation('run'));
      const meta = JSON.parse(readFileSync(join(dir, 'models2', 'espcn-x2.json'), 'utf8'));
      assert.equal(meta.steps, 3);
      assert.equal(JSON.parse(readFileSync(join(dir, 'run2', 'args.json'), 'utf8')).init, join(dir, 'run', 'ckpt.pt'));
    });

    it('degrades HR to LR exactly as srvid eval does (so training validation equals srvid eval)', () => {
      // A 23x17 plane with edges and texture, downscaled x3 by training/data.py and by resize.ts.
      const w = 23,
        h = 17;
      const plane = Array.from({ length: w * h }, (_, i) => ((i * 37) % 220) + 16 + (i % w > 11 ? 10 : 0));
      const code = `import sys, json, numpy as np; sys.path.insert(0, ${JSON.stringify(new URL('../training', import.meta.url).pathname)})
from data import imresize
y = np.array(json.loads(sys.stdin.read()), dtype=np.float64).reshape(${h}, ${w})
print(json.dumps(imresize(y, 7, 5).ravel().tolist()))`;
      const r = spawnSync(PYTHON, ['-c', code], { input: JSON.stringify(plane), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const fromPython = JSON.parse(r.stdout) as number[];
      const fromSrvid = resizeBicubic(Uint8Array.from(plane), w, h, 7, 5);
      assert.equal(fromPython.length, 35);
      fromPython.forEach((v, i) => assert.ok(Math.abs(v - (fromSrvid[i] as number)) < 1e-3, `sample ${i}: ${v} vs ${fromSrvid[i]}`));
    });

    const hasOnnx = spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;
    it(
      'quantises a model to int8 (calibrated, then quantisation-aware steps) that onnxruntime runs close to the float one',
      { skip: !hasOnnx && `needs ${PYTHON} with onnx (apt-get install python3-onnx)` },
      async () => {
        const float = new URL('../models/espcn-light-x2.onnx', import.meta.url).pathname;
        const out = join(dir, 'q', 'light-int8-x2.onnx');
        const r = spawnSync(
          PYTHON,
          [
            QAT,
            float,
            '--out',
            out,
            '--log',
            join(dir, 'q'),
            '--train',
            join(dir, 'train'),
            '--val',
            join(dir, 'val'),
            '--steps',
            '2',
            '--batch',
            '4',
            '--patch',
            '8',
            '--calibration-patches',
            '32',
            '--val-every',
            '1',
            '--threads',
            '1',
          ],
          { encoding: 'utf8', timeout: 300_000 },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /step 2\/2 .*val \d+\.\d+ dB/);
        const meta = JSON.parse(readFileSync(out.replace(/\.onnx$/, '.json'), 'utf8'));
        assert.equal(meta.scale, 2);
        assert.equal(meta.quantization.ranges.a1.length, 32);
        assert.equal(meta.quantization.ranges.z2.length, 16);
        // The same frame through both: a smooth ramp with an edge, 40x30.
        const [w, h] = [40, 30];
        const luma = Float32Array.from(
          { length: w * h },
          (_, i) => (16 + ((i % w) * 4 + Math.floor(i / w) * 2) + (i % w > 20 ? 40 : 0)) / 255,
        );
        const models = await Promise.all([float, out].map((path) => loadOnnxLuma({ path, name: path, scale: 2, threads: 1 })));
        const [a, b] = await Promise.all(models.map((m) => m.run(luma, w, h)));
        await Promise.all(models.map((m) => m.dispose()));
        let sq = 0;
        let worst = 0;
        for (let i = 0; i < a!.length; i++) {
          const d = ((a![i] as number) - (b![i] as number)) * 255;
          sq += d * d;
          worst = Math.max(worst, Math.abs(d));
        }
        // 8-bit activations move a sample by a level or two, not more; a wrong scale or zero point moves it by tens.
        assert.ok(Math.sqrt(sq / a!.length) < 1, `RMS difference ${Math.sqrt(sq / a!.length)} levels`);
        assert.ok(worst < 4, `largest difference ${worst} levels`);
      },
    );

    it('trains SESR expanded and exports it collapsed to plain convolutions that equal the expanded network within 1e-4 on a real frame', async () => {
      // A small SESR (8 channels, 2 middle layers, blocks expanded to 32) with a high learning rate, so the
      // weights after 3 steps are far from their initial values.
      const sesr = ['--arch', 'sesr', '--width', '8', '--middle', '2', '--expand', '32', '--lr', '0.01', '--warmup', '1'];
      const r = train(3, [...sesr, '--out', join(dir, 'sesr'), '--models', join(dir, 'sesr-models')]);
      assert.equal(r.status, 0, r.stderr);
      const path = join(dir, 'sesr-models', 'sesr-x2.onnx');
      const meta = JSON.parse(readFileSync(path.replace(/\.onnx$/, '.json'), 'utf8'));
      assert.equal(meta.architecture.macsPerLrPixel, 25 * 8 + 2 * 9 * 8 * 8 + 25 * 8 * 4);
      assert.equal(meta.architecture.receptiveRadius, 2 + 2 + 2);
      // Besides the convolutions, activations, skip and shuffle, only the shape plumbing of the edge padding.
      const ops = readOnnxGraph(readFileSync(path)).ops;
      const plumbing = new Set([
        'Constant',
        'ConstantOfShape',
        'Concat',
        'Reshape',
        'Slice',
        'Transpose',
        'Cast',
        'Shape',
        'Gather',
        'Unsqueeze',
      ]);
      assert.deepEqual(
        ops.filter((op) => !plumbing.has(op)),
        ['Pad', 'Conv', 'Relu', 'Conv', 'Relu', 'Conv', 'Relu', 'Conv', 'Add', 'DepthToSpace'],
        ops.join(', '),
      );

      const [w, h] = [96, 64];
      const { luma, expanded, worst } = await expandedAgainstOnnx(join(dir, 'sesr'), path, w, h);
      assert.ok(spreadFromNearest(luma, expanded, w) > 1e-3, 'the network changes its input (a zero network would pass trivially)');
      assert.ok(worst < 1e-4, `max |collapsed (onnxruntime) - expanded (PyTorch)| = ${worst}`);
    });

    it(
      'trains qsr (sesr on the 2x2 grid) and exports a float graph equal to the expanded network within 1e-4, odd sizes included; quantises it to int8',
      { skip: !hasOnnx && `needs ${PYTHON} with onnx (apt-get install python3-onnx)` },
      async () => {
        const qsr = ['--arch', 'qsr', '--width', '8', '--middle', '2', '--expand', '32', '--lr', '0.01', '--warmup', '1'];
        const r = train(3, [...qsr, '--out', join(dir, 'qsr'), '--models', join(dir, 'qsr-models')]);
        assert.equal(r.status, 0, r.stderr);
        // its float graph, named apart from the shipped int8 qsr-x2 that quantize_chain.py makes of it
        const path = join(dir, 'qsr-models', 'qsr-float-x2.onnx');
        const arch = JSON.parse(readFileSync(path.replace(/\.onnx$/, '.json'), 'utf8')).architecture;
        // per 2x2 block: 3x3 4->8, two 3x3 8->8, 3x3 8->16; the radius 2 blocks a layer, plus one pixel
        assert.equal(arch.macsPerLrPixel, (9 * 4 * 8 + 2 * 9 * 8 * 8 + 9 * 8 * 16) / 4);
        assert.deepEqual([arch.receptiveRadius, arch.grid, arch.tileAlign], [2 * 4 + 1, 2, 2]);
        for (const [w, h] of [
          [96, 64],
          [95, 63],
        ] as const) {
          const { expanded, luma, worst } = await expandedAgainstOnnx(join(dir, 'qsr'), path, w, h);
          assert.ok(spreadFromNearest(luma, expanded, w) > 1e-3, 'the network changes its input (a zero network would pass trivially)');
          assert.ok(worst < 1e-4, `${w}x${h}: max |float graph (onnxruntime) - expanded (PyTorch)| = ${worst}`);
        }
        const out = join(dir, 'q', 'qsr-int8.onnx');
        assert.equal(quantiseChain(path, out).convs.length, 4);
        const [w, h] = [95, 63];
        const rms = await rmsLevels(
          [path, out],
          realLuma(w, h).map((v) => Math.round(v * 255) / 255),
          w,
          h,
        );
        assert.ok(rms < 1.5, `RMS difference ${rms} levels`);
      },
    );

    it('grows a qsr checkpoint by a middle layer with --init: the new layer starts as the identity, so the grown network scores what the checkpoint did', () => {
      // A learning rate of 0 keeps the weights as they were grown: random new layers would change the score.
      const grown = ['--arch', 'qsr', '--width', '8', '--middle', '3', '--expand', '32', '--lr', '0', '--no-export'];
      const r = train(1, [...grown, '--out', join(dir, 'qsr-grown'), '--init', join(dir, 'qsr', 'ckpt.pt')]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /grown from 2 to 3 middle layers/);
      assert.deepEqual(lastValidation('qsr-grown'), lastValidation('qsr'));
    });

    it('the shipped sesr-x2.onnx equals its training checkpoint run expanded, within 1e-4 on a real frame', async () => {
      const run = new URL('../docs/training/sesr-x2', import.meta.url).pathname;
      const path = new URL('../models/sesr-x2.onnx', import.meta.url).pathname;
      const { worst } = await expandedAgainstOnnx(run, path, 96, 64);
      assert.ok(worst < 1e-4, `max |shipped (onnxruntime) - expanded checkpoint (PyTorch)| = ${worst}`);
    });

    // Every classic network shipped (issue #25): family, scale, and its checkpoint's folder under training/checkpoints
    // (vdsr: one network, one checkpoint, for its three scales).
    const classicShipped: [string, number, string][] = [
      ['srcnn', 2, 'srcnn-x2'],
      ['srcnn', 3, 'srcnn-x3'],
      ['srcnn', 4, 'srcnn-x4'],
      ['vdsr', 2, 'vdsr'],
      ['vdsr', 3, 'vdsr'],
      ['vdsr', 4, 'vdsr'],
      ['srresnet', 4, 'srresnet-x4'],
      ['srgan', 4, 'srgan-x4'],
      ['unet', 4, 'unet-x4'],
    ];
    for (const [family, scale, folder] of classicShipped) {
      const name = `${family}-x${scale}`;
      it(
        `the shipped ${name}.onnx is its training checkpoint exported, and equals it within 1e-4 on real crops`,
        { skip: !hasOnnx && `needs ${PYTHON} with onnx (apt-get install python3-onnx)` },
        () => {
          const out = join(dir, `${name}-check`);
          const ckpt = new URL(`../training/checkpoints/${folder}/ckpt.pt`, import.meta.url).pathname;
          const r = spawnSync(PYTHON, [CHECK_CLASSIC, '--out', out, '--only', family, '--scale', String(scale), '--ckpt', ckpt], {
            encoding: 'utf8',
            timeout: 300_000,
          });
          assert.equal(r.status, 0, r.stderr);
          const check = JSON.parse(readFileSync(join(out, 'check.json'), 'utf8')) as Record<string, { maxAbsDiff: number }>;
          assert.ok(check[name]!.maxAbsDiff < 1e-4, `max |onnxruntime - PyTorch| = ${check[name]!.maxAbsDiff}`);
          // The export is deterministic: the same checkpoint gives the shipped file's bytes.
          const shipped = readFileSync(new URL(`../models/${name}.onnx`, import.meta.url));
          assert.ok(
            readFileSync(join(out, `${name}.onnx`)).equals(shipped),
            `models/${name}.onnx is not training/checkpoints/${folder} exported`,
          );
        },
      );
    }

    /** The training checkpoints the shipped rvsr graphs were exported from (docs/training-rvsr.md). */
    const RVSR_CHECKPOINTS: Record<number, string> = { 2: 'rvsr-x2-steady', 4: 'rvsr-x4-aligned' };
    for (const scale of [2, 4]) {
      it(`the shipped rvsr-x${scale}.onnx equals its training checkpoint within 1e-4 over real frames, its state fed back`, async () => {
        const ckpt = new URL(`../training/checkpoints/${RVSR_CHECKPOINTS[scale]}/ckpt.pt`, import.meta.url).pathname;
        const [w, h, frames] = [96, 64, 4];
        const lumas = realLumaFrames(frames, w, h).map((y) => Float32Array.from(y, (v) => v / 255));
        const input = join(dir, `rvsr-x${scale}-in.f32`);
        writeFileSync(input, Buffer.concat(lumas.map((l) => Buffer.from(l.buffer))));
        const script = [
          'import sys, numpy as np, torch',
          `sys.path.insert(0, ${JSON.stringify(new URL('../training', import.meta.url).pathname)})`,
          'from rvsr import RVSR',
          `s = torch.load(${JSON.stringify(ckpt)}, map_location="cpu")`,
          'm = RVSR(**s["config"]); m.load_state_dict(s["model"]); m.eval()',
          `x = torch.from_numpy(np.fromfile(${JSON.stringify(input)}, np.float32).reshape(${frames}, 1, 1, ${h}, ${w})).transpose(0, 1)`,
          'with torch.no_grad(): out, _ = m.run(x)',
          `out.numpy().astype(np.float32).tofile(${JSON.stringify(join(dir, `rvsr-x${scale}-out.f32`))})`,
        ].join('\n');
        const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
        assert.equal(r.status, 0, r.stderr);
        const torchOut = new Float32Array(readFileSync(join(dir, `rvsr-x${scale}-out.f32`)).buffer.slice(0));
        const model = await loadOnnxRecurrent({
          path: new URL(`../models/rvsr-x${scale}.onnx`, import.meta.url).pathname,
          name: `rvsr-x${scale}`,
          scale,
          threads: 1,
        });
        let past: { yUp: Float32Array; state: Float32Array } = {
          yUp: new Float32Array(scale * scale * w * h),
          state: new Float32Array(model.stateChannels * w * h),
        };
        let worst = 0;
        let moved = 0;
        for (let t = 0; t < frames; t++) {
          const y = lumas[t]!;
          const step = await model.step({ y, yPrev: lumas[Math.max(0, t - 1)]!, yUpPrev: past.yUp, state: past.state }, w, h);
          const ref = torchOut.subarray(t * scale * scale * w * h, (t + 1) * scale * scale * w * h);
          for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((step.yUp[i] as number) - (ref[i] as number)));
          if (t > 0) for (let i = 0; i < step.state.length; i++) moved = Math.max(moved, Math.abs(step.state[i] as number));
          past = { yUp: step.yUp, state: step.state };
        }
        await model.dispose();
        assert.ok(moved > 1e-3, 'the state carries something (a zero state would pass trivially)');
        assert.ok(worst < 1e-4, `max |shipped (onnxruntime) - checkpoint (PyTorch)| = ${worst}`);
      });
    }

    it(
      'quantises a plain chain fully to int8: every convolution on quantised inputs and weights, close to the float model',
      { skip: !hasOnnx && `needs ${PYTHON} with onnx (apt-get install python3-onnx)` },
      async () => {
        const float = join(dir, 'sesr-models', 'sesr-x2.onnx');
        assert.ok(existsSync(float), 'runs after the SESR export test');
        const out = join(dir, 'q', 'sesr-int8-x2.onnx');
        const { stdout, graph, convs } = quantiseChain(float, out);
        assert.match(stdout, /step 2\/2 .*val \d+\.\d+ dB/);
        assert.equal(convs.length, 4);
        // the first and last convolutions run on 2 x 2 blocks
        assert.equal(graph.ops.filter((op) => op === 'SpaceToDepth').length, 2);
        const [w, h] = [96, 64];
        const rms = await rmsLevels([float, out], realLuma(w, h), w, h);
        // The residual is written in whole levels: the int8 model stays within about a level of the float one.
        assert.ok(rms < 1.5, `RMS difference ${rms} levels`);
      },
    );

    it('refuses --resume without a checkpoint', () => {
      const r = spawnSync(PYTHON, [TRAIN, '--scale', '2', '--out', join(dir, 'nothing'), '--resume'], { encoding: 'utf8' });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /does not exist/);
    });
  },
);

// rvsr (the recurrent x2 network) against the single-frame default sesr-x2 and bicubic, through the real Node
// upscalers (onnxruntime, one intra-op thread for quality), on the four clips training held out. For each clip
// the first 40 frames, whole (mod-cropped to the scale): ground truth = the decoded frame, input = `self` mode's
// degradation of it (downscaleFrame: antialiased bicubic). Measured:
// 1. PSNR-Y (peak 255, `scale` pixels shaved at each border, 8-bit outputs) and the temporal error
//    (mean |Δoutput − Δtruth| between consecutive frames, 8-bit units, same shave), averaged over frames and
//    then clips, for rvsr streamed (state carried), rvsr with every frame alone, sesr-x2 and bicubic;
// 2. the per-frame gain over bicubic from frame 0, and two spliced scene cuts (A's frames 0–19, then B's 0–19,
//    consecutive indices): per-frame PSNR, and whether the recurrent upscaler reset at the cut;
// 3. segment boundaries: rvsr streamed once vs restarting every 12 frames (indices restart, as segments do);
// 4. model-only speed at 640x360 (2 threads each, back to back) and the bytes the recurrent past holds;
// 5. figures: docs/figures/rvsr-side-by-side.png (a crop of frame 20: bicubic | sesr | rvsr | truth) and
//    docs/figures/rvsr-curves.png (the per-frame curves, drawn by /usr/bin/python3 with matplotlib).
// Prints a markdown summary and writes it to bench/results/rvsr-quality.md (BENCH_RVSR_DUMP=FILE: the per-frame series as JSON).
//   nice -n 5 node --import tsx bench/rvsr-quality.ts      (about 4–6 minutes on the 2-core machine, loaded)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { allocateFrame, makeFrame, type Frame, type Plane } from '../src/pipeline/frame.js';
import type { Upscaler } from '../src/pipeline/ports.js';
import { downscaleFrame } from '../src/quality/create-quality-probe.js';
import { psnr } from '../src/quality/psnr.js';
import { createBicubicUpscaler } from '../src/models/bicubic-upscaler.js';
import { createFrameUpscaler } from '../src/models/espcn/upscale-frame.js';
import { createRecurrentUpscaler } from '../src/models/rvsr/recurrent-upscaler.js';
import { isSceneCut } from '../src/models/rvsr/scene-cut.js';
import { loadOnnxLuma, loadOnnxRecurrent } from '../src/models/backends/onnxruntime.js';
import { resolveModel } from '../src/models/resolve-model.js';

const DATA = new URL('../../shared/data/video-train/', import.meta.url).pathname;
const CLIPS = ['davis16_dog', 'davis17_tennis', 'sam2_bedroom', 'opencv_cup'] as const;
const FRAMES = 40;
/** BENCH_RVSR_SCALE=4 measures the x4 pair (rvsr-x4, sesr-x4), its speed at 320x180 → 1280x720, into files named -x4. */
const SCALE = Number(process.env.BENCH_RVSR_SCALE ?? 2);
const SUFFIX = SCALE === 2 ? '' : `-x${SCALE}`;
const SHAVE = SCALE;
const SEGMENT = 12;
/** Frames right after a segment boundary whose cost is reported on its own. */
const AFTER_BOUNDARY = 3;
/** Scene cuts: A's frames 0–19 then B's 0–19, both centre-cropped to the size given. */
const CUTS = [
  { a: 'davis16_dog', b: 'davis17_tennis', width: 854, height: 480 },
  { a: 'sam2_bedroom', b: 'opencv_cup', width: 640, height: 480 },
] as const;
const CUT_AT = 20;
const SPEED = { width: 1280 / SCALE, height: 720 / SCALE, frames: 8, rounds: 5 };
const CROP = { width: 160, height: 120, frame: 20, zoom: 3 };
const FIGURES = new URL('../docs/figures/', import.meta.url).pathname;
const RESULTS = new URL('./results/', import.meta.url).pathname;

type Method = 'bicubic' | 'sesr' | 'rvsr' | 'rvsr-alone' | 'rvsr-seg12';
const TABLE_METHODS: readonly Method[] = ['bicubic', 'sesr', 'rvsr', 'rvsr-alone'];

// ---------- frames ----------

/** The first `n` frames of a clip as yuv420p, with their size (ffprobe). */
const decode = (path: string, n: number, vf?: string, size?: { width: number; height: number }): Frame[] => {
  let { width, height } = size ?? { width: 0, height: 0 };
  if (!size) {
    const probe = spawnSync('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=width,height',
      '-of',
      'csv=p=0',
      path,
    ]);
    [width, height] = probe.stdout.toString().trim().split(',').map(Number) as [number, number];
  }
  const args = [
    '-v',
    'error',
    '-i',
    path,
    ...(vf ? ['-vf', vf] : []),
    '-frames:v',
    String(n),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-',
  ];
  const r = spawnSync('ffmpeg', args, { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ffmpeg failed on ${path}: ${r.stderr}`);
  const format = { width, height, pixFmt: 'yuv420p' as const };
  const bytes = (width * height * 3) / 2;
  return Array.from({ length: Math.floor(r.stdout.length / bytes) }, (_, i) =>
    makeFrame(i, i * 40, format, new Uint8Array(r.stdout.subarray(i * bytes, (i + 1) * bytes))),
  );
};

/** The centre `width × height` of a frame (even offsets, so chroma stays aligned), as frame `index`. */
const cropFrame = (f: Frame, width: number, height: number, index = f.index): Frame => {
  const x0 = Math.floor((f.format.width - width) / 4) * 2;
  const y0 = Math.floor((f.format.height - height) / 4) * 2;
  const out = allocateFrame(index, f.ptsMs, { ...f.format, width, height });
  out.planes.forEach((dst, i) => {
    const src = f.planes[i] as Plane;
    const [dx, dy] = i === 0 ? [x0, y0] : [x0 / 2, y0 / 2];
    for (let y = 0; y < dst.height; y++)
      dst.data.set(src.data.subarray((y + dy) * src.width + dx, (y + dy) * src.width + dx + dst.width), y * dst.width);
  });
  return out;
};

/** Mod-crop to the scale (top-left, as training does). */
const modCrop = (f: Frame): Frame => {
  const w = f.format.width - (f.format.width % SCALE);
  const h = f.format.height - (f.format.height % SCALE);
  return w === f.format.width && h === f.format.height ? f : cropFrame(f, w, h);
};

/** Ground truth (the frame's Y) and the model input (self mode's degradation). */
interface Sample {
  readonly truth: Plane;
  readonly lr: Frame;
}
const sampleOf = (f: Frame): Sample => {
  const hr = modCrop(f);
  return { truth: hr.planes[0], lr: downscaleFrame(hr, SCALE) };
};
const reindex = (f: Frame, index: number): Frame => ({ ...f, index });

// ---------- metrics ----------

const psnrY = (truth: Plane, y: Plane): number => psnr(truth.data, y.data, truth.width, truth.height, { crop: SHAVE, peak: 255 });

/** Mean |(o1 − o0) − (g1 − g0)| over the shaved plane, 8-bit units. */
const temporalError = (g0: Plane, g1: Plane, o0: Plane, o1: Plane): number => {
  const { width: w, height: h } = g0;
  let sum = 0;
  for (let y = SHAVE; y < h - SHAVE; y++) {
    for (let x = y * w + SHAVE, end = y * w + w - SHAVE; x < end; x++) {
      sum += Math.abs((o1.data[x] as number) - (o0.data[x] as number) - ((g1.data[x] as number) - (g0.data[x] as number)));
    }
  }
  return sum / ((w - 2 * SHAVE) * (h - 2 * SHAVE));
};

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const sameY = (a: Plane, b: Plane): boolean => a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);
const maxAbsDiff = (a: Plane, b: Plane): number => {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  return m;
};

/** Runs frames through `run` in order, keeping the outputs' Y planes. */
const outputs = async (frames: readonly Frame[], run: (f: Frame) => Promise<{ frame: Frame }>): Promise<Plane[]> => {
  const ys: Plane[] = [];
  for (const f of frames) ys.push((await run(f)).frame.planes[0]);
  return ys;
};

// ---------- the models ----------

interface Models {
  readonly rvsr: () => Upscaler;
  readonly sesr: Upscaler;
  readonly bicubic: Upscaler;
  readonly dispose: () => Promise<void>;
}

/** rvsr and sesr as the pipeline would load them (their tiling from resolveModel), one onnxruntime thread. */
const loadModels = async (): Promise<Models> => {
  const choice = { scale: SCALE, threads: 1, backend: 'onnx', device: 'cpu' } as const;
  const r = resolveModel({ ...choice, model: 'rvsr' });
  const s = resolveModel({ ...choice, model: 'sesr' });
  const rvsrModel = await loadOnnxRecurrent({ path: r.path, name: r.name, scale: SCALE, threads: 1 });
  const sesr = createFrameUpscaler(await loadOnnxLuma({ path: s.path, name: s.name, scale: SCALE, threads: 1 }), s.tiling, {
    reuseBuffers: true,
  });
  return {
    // A fresh stream each call (no past), on the one loaded session.
    rvsr: () => createRecurrentUpscaler(rvsrModel, r.tiling, r.motion),
    sesr,
    bicubic: createBicubicUpscaler(SCALE),
    dispose: async () => {
      await rvsrModel.dispose();
      await sesr.dispose();
    },
  };
};

// ---------- 1–3: the held-out clips ----------

interface ClipResult {
  readonly clip: string;
  readonly width: number;
  readonly height: number;
  readonly psnr: Record<Method, number[]>;
  readonly terr: Record<Method, number[]>;
  /** Frames after 0 whose streamed output equals the frame alone (the stream reset), and the detector's cuts. */
  readonly resets: number[];
  readonly detectorCuts: number[];
  readonly frame20: Record<'truth' | 'bicubic' | 'sesr' | 'rvsr', Plane>;
}

const runClip = async (clip: string, models: Models): Promise<ClipResult> => {
  const samples = decode(join(DATA, `${clip}.mkv`), FRAMES).map(sampleOf);
  const lr = samples.map((s) => s.lr);
  const streamed = models.rvsr();
  const alone = models.rvsr();
  const segmented = models.rvsr();
  const ys: Record<Method, Plane[]> = {
    bicubic: await outputs(lr, (f) => models.bicubic.upscale(f)),
    sesr: await outputs(lr, (f) => models.sesr.upscale(f)),
    rvsr: await outputs(lr, (f) => streamed.upscale(f)),
    'rvsr-alone': await outputs(lr, (f) => alone.upscaleAlone!(f)),
    // Segments start at their keyframe with index 0: the index restarts every SEGMENT frames.
    'rvsr-seg12': await outputs(
      lr.map((f, i) => reindex(f, i % SEGMENT)),
      (f) => segmented.upscale(f),
    ),
  };
  const methods = Object.keys(ys) as Method[];
  const psnrs = Object.fromEntries(methods.map((m) => [m, samples.map((s, i) => psnrY(s.truth, ys[m][i]!))])) as Record<Method, number[]>;
  const terrs = Object.fromEntries(
    methods.map((m) => [
      m,
      range(FRAMES - 1, 1).map((i) => temporalError(samples[i - 1]!.truth, samples[i]!.truth, ys[m][i - 1]!, ys[m][i]!)),
    ]),
  ) as Record<Method, number[]>;
  const yFloat = (f: Frame): Float32Array => Float32Array.from(f.planes[0].data, (v) => v / 255);
  const { width, height } = lr[0]!.planes[0];
  return {
    clip,
    width: samples[0]!.truth.width,
    height: samples[0]!.truth.height,
    psnr: psnrs,
    terr: terrs,
    resets: range(FRAMES - 1, 1).filter((i) => sameY(ys.rvsr[i]!, ys['rvsr-alone'][i]!)),
    detectorCuts: range(FRAMES - 1, 1).filter((i) => isSceneCut(yFloat(lr[i - 1]!), yFloat(lr[i]!), width, height)),
    frame20: {
      truth: samples[CROP.frame]!.truth,
      bicubic: ys.bicubic[CROP.frame]!,
      sesr: ys.sesr[CROP.frame]!,
      rvsr: ys.rvsr[CROP.frame]!,
    },
  };
};

// ---------- 2: scene cuts ----------

interface CutResult {
  readonly name: string;
  readonly psnr: Record<'bicubic' | 'sesr' | 'rvsr', number[]>;
  readonly resetAtCut: boolean;
  readonly maxDiffAtCut: number;
  readonly detectorAtCut: boolean;
}

const runCut = async (cut: (typeof CUTS)[number], models: Models): Promise<CutResult> => {
  const half = (clip: string): Frame[] => decode(join(DATA, `${clip}.mkv`), CUT_AT).map((f) => cropFrame(f, cut.width, cut.height));
  const hr = [...half(cut.a), ...half(cut.b)].map((f, i) => reindex(f, i));
  const samples = hr.map(sampleOf);
  const lr = samples.map((s) => s.lr);
  const stream = models.rvsr();
  const ys = {
    bicubic: await outputs(lr, (f) => models.bicubic.upscale(f)),
    sesr: await outputs(lr, (f) => models.sesr.upscale(f)),
    rvsr: await outputs(lr, (f) => stream.upscale(f)),
  };
  const bAlone = (await models.rvsr().upscaleAlone!(reindex(lr[CUT_AT]!, 0))).frame.planes[0];
  const atCut = ys.rvsr[CUT_AT]!;
  const yFloat = (f: Frame): Float32Array => Float32Array.from(f.planes[0].data, (v) => v / 255);
  const { width, height } = lr[0]!.planes[0];
  return {
    name: `${cut.a} → ${cut.b} (${cut.width}x${cut.height})`,
    psnr: {
      bicubic: samples.map((s, i) => psnrY(s.truth, ys.bicubic[i]!)),
      sesr: samples.map((s, i) => psnrY(s.truth, ys.sesr[i]!)),
      rvsr: samples.map((s, i) => psnrY(s.truth, ys.rvsr[i]!)),
    },
    resetAtCut: sameY(atCut, bAlone),
    maxDiffAtCut: maxAbsDiff(atCut, bAlone),
    detectorAtCut: isSceneCut(yFloat(lr[CUT_AT - 1]!), yFloat(lr[CUT_AT]!), width, height),
  };
};

// ---------- 4: speed and memory ----------

interface Speed {
  readonly rvsrMs: number[];
  readonly sesrMs: number[];
  readonly stateBytes: number;
  readonly prevFrameBytes: number;
  readonly prevOutputBytes: number;
}

/** Model-only ms/frame at 640x360, 2 intra-op threads each, in alternating rounds (rvsr carries its state). */
const measureSpeed = async (): Promise<Speed> => {
  const { width: w, height: h } = SPEED;
  const clip = join(DATA, `${CLIPS[0]}.mkv`);
  const ys = decode(clip, SPEED.frames, `scale=${w}:${h}`, SPEED).map((f) => Float32Array.from(f.planes[0].data, (v) => v / 255));
  const choice = { scale: SCALE, threads: 2, backend: 'onnx', device: 'cpu' } as const;
  const r = resolveModel({ ...choice, model: 'rvsr' });
  const s = resolveModel({ ...choice, model: 'sesr' });
  const rvsr = await loadOnnxRecurrent({ path: r.path, name: r.name, scale: SCALE, threads: 2 });
  const sesr = await loadOnnxLuma({ path: s.path, name: s.name, scale: SCALE, threads: 2 });
  let past: { y: Float32Array; yUp: Float32Array; state: Float32Array } = {
    y: ys[0]!,
    yUp: new Float32Array(SCALE * SCALE * w * h),
    state: new Float32Array(rvsr.stateChannels * w * h),
  };
  const rvsrFrame = async (y: Float32Array): Promise<void> => {
    const out = await rvsr.step({ y, yPrev: past.y, yUpPrev: past.yUp, state: past.state }, w, h);
    past = { y, yUp: out.yUp, state: out.state };
  };
  const into = new Float32Array(SCALE * SCALE * w * h);
  const sesrFrame = async (y: Float32Array): Promise<void> => void (await sesr.run(y, w, h, into));
  const timed = async (f: (y: Float32Array) => Promise<void>): Promise<number> => {
    const t0 = performance.now();
    for (const y of ys) await f(y);
    return (performance.now() - t0) / ys.length;
  };
  for (const y of ys.slice(0, 2)) await rvsrFrame(y); // warm-up
  for (const y of ys.slice(0, 2)) await sesrFrame(y);
  const rvsrMs: number[] = [];
  const sesrMs: number[] = [];
  for (let round = 0; round < SPEED.rounds; round++) {
    rvsrMs.push(await timed(rvsrFrame));
    sesrMs.push(await timed(sesrFrame));
  }
  const bytes = { stateBytes: past.state.byteLength, prevFrameBytes: past.y.byteLength, prevOutputBytes: past.yUp.byteLength };
  await rvsr.dispose();
  await sesr.dispose();
  return { rvsrMs, sesrMs, ...bytes };
};

// ---------- 5: figures ----------

/** The crop with the most bicubic error (fine texture) over the frames 20 of all clips, on a 20-pixel grid. */
const pickCrop = (clips: readonly ClipResult[]): { clip: ClipResult; left: number; top: number } => {
  let best = { clip: clips[0]!, left: 0, top: 0, err: -1 };
  for (const clip of clips) {
    const { truth, bicubic } = clip.frame20;
    for (let top = 16; top + CROP.height <= truth.height - 16; top += 20) {
      for (let left = 16; left + CROP.width <= truth.width - 16; left += 20) {
        let err = 0;
        for (let y = top; y < top + CROP.height; y++) {
          for (let x = y * truth.width + left, end = x + CROP.width; x < end; x++)
            err += ((truth.data[x] as number) - (bicubic.data[x] as number)) ** 2;
        }
        if (err > best.err) best = { clip, left, top, err };
      }
    }
  }
  return best;
};

const cropY = (p: Plane, left: number, top: number): Plane => {
  const data = new Uint8Array(CROP.width * CROP.height);
  for (let y = 0; y < CROP.height; y++)
    data.set(p.data.subarray((top + y) * p.width + left, (top + y) * p.width + left + CROP.width), y * CROP.width);
  return { width: CROP.width, height: CROP.height, data };
};

/** bicubic | sesr | rvsr | truth: Y of the crop, each shown ZOOM times (nearest), PSNR of the crop in the label. */
const sideBySide = async (clips: readonly ClipResult[]): Promise<string> => {
  const { clip, left, top } = pickCrop(clips);
  const panels = (['bicubic', 'sesr', 'rvsr', 'truth'] as const).map((k) => ({ k, crop: cropY(clip.frame20[k], left, top) }));
  const truthCrop = panels[3]!.crop;
  const names = panels.map(({ k, crop }) =>
    k === 'truth'
      ? 'ground truth'
      : `${k === 'sesr' ? `sesr-x${SCALE}` : k === 'rvsr' ? `rvsr-x${SCALE} (streamed)` : `bicubic x${SCALE}`}  ${psnrY(truthCrop, crop).toFixed(2)} dB`,
  );
  const [W, H] = [CROP.width * CROP.zoom, CROP.height * CROP.zoom];
  const gap = 8;
  const label = 28;
  const tiles = await Promise.all(
    panels.map(({ crop }) =>
      sharp(crop.data, { raw: { width: CROP.width, height: CROP.height, channels: 1 } })
        .resize(W, H, { kernel: 'nearest' })
        .toColourspace('srgb')
        .png()
        .toBuffer(),
    ),
  );
  const total = 4 * W + 3 * gap;
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${label}">` +
      names
        .map((n, i) => `<text x="${i * (W + gap) + 6}" y="20" font-family="DejaVu Sans, sans-serif" font-size="17">${n}</text>`)
        .join('') +
      '</svg>',
  );
  await sharp({ create: { width: total, height: H + label, channels: 3, background: '#ffffff' } })
    .composite([{ input: svg, left: 0, top: 0 }, ...tiles.map((input, i) => ({ input, left: i * (W + gap), top: label }))])
    .png()
    .toFile(join(FIGURES, `rvsr-side-by-side${SUFFIX}.png`));
  return `${clip.clip} frame ${CROP.frame}, Y, HR crop ${CROP.width}x${CROP.height} at (${left}, ${top}) (the window with the most bicubic error), shown x${CROP.zoom}; labels: PSNR-Y of the crop`;
};

const PLOT = `
import json, sys
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
d = json.load(open(sys.argv[1]))
fig, ax = plt.subplots(1, 3, figsize=(17, 4.6))
a = ax[0]
for k, style in (('rvsr', '-o'), ('rvsr-alone', '--'), ('rvsr-seg12', ':'), ('sesr', '-s')):
    a.plot(d['frames'], d['gain'][k], style, ms=3, label=k)
a.set_title('gain over bicubic per frame (mean of 4 held-out clips)')
a.set_xlabel('frame'); a.set_ylabel('dB'); a.grid(alpha=.3); a.legend()
for j, cut in enumerate(d['cuts']):
    a = ax[1 + j]
    for k, style in (('rvsr', '-o'), ('sesr', '-s'), ('bicubic', ':')):
        a.plot(d['cutFrames'], cut['psnr'][k], style, ms=3, label=k)
    a.axvline(d['cutAt'] - 0.5, color='grey', lw=1)
    a.set_title('scene cut: ' + cut['name'], fontsize=10)
    a.set_xlabel('frame (cut before %d)' % d['cutAt']); a.set_ylabel('PSNR-Y dB'); a.grid(alpha=.3); a.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
`;

const curves = (clips: readonly ClipResult[], cuts: readonly CutResult[]): void => {
  const gain = (m: Method): number[] => range(FRAMES).map((i) => mean(clips.map((c) => c.psnr[m][i]! - c.psnr.bicubic[i]!)));
  const dir = mkdtempSync(join(tmpdir(), 'srvid-rvsr-'));
  try {
    const data = join(dir, 'curves.json');
    const gains = Object.fromEntries((['rvsr', 'rvsr-alone', 'rvsr-seg12', 'sesr'] as const).map((m) => [m, gain(m)]));
    writeFileSync(data, JSON.stringify({ frames: range(FRAMES), gain: gains, cuts, cutFrames: range(2 * CUT_AT), cutAt: CUT_AT }));
    const script = join(dir, 'plot.py');
    writeFileSync(script, PLOT);
    const r = spawnSync('/usr/bin/python3', [script, data, join(FIGURES, `rvsr-curves${SUFFIX}.png`)]);
    if (r.status !== 0) throw new Error(`the plot failed: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

// ---------- the summary ----------

const f3 = (x: number): string => x.toFixed(3);
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
const row = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;
const header = (cells: readonly string[]): string[] => [row(cells), row(cells.map(() => '---'))];

/** Mean over clips of the mean over `frames` of a per-frame series. */
const over = (clips: readonly ClipResult[], pick: (c: ClipResult) => number[], frames?: readonly number[]): number =>
  mean(clips.map((c) => mean(frames ? frames.map((i) => pick(c)[i]!) : pick(c))));

const qualityTables = (clips: readonly ClipResult[]): string[] => {
  const lines = ['## 1. Quality on the four held-out clips (first 40 frames, whole frames)', ''];
  lines.push(...header(['', 'PSNR-Y dB', 'gain over bicubic', 'frame 0', 'frames 10–39', 'temporal error']));
  for (const m of TABLE_METHODS) {
    const p = over(clips, (c) => c.psnr[m]);
    const b = over(clips, (c) => c.psnr.bicubic);
    lines.push(
      row([
        m,
        f3(p),
        signed(p - b),
        f3(over(clips, (c) => c.psnr[m], [0])),
        f3(over(clips, (c) => c.psnr[m], range(30, 10))),
        f3(over(clips, (c) => c.terr[m])),
      ]),
    );
  }
  const tb = over(clips, (c) => c.terr.bicubic);
  lines.push(
    '',
    `rvsr − sesr: ${signed(rvsrMinus(clips, 'sesr'))} dB; the state's share (rvsr − rvsr alone): ${signed(rvsrMinus(clips, 'rvsr-alone'))} dB. ` +
      `Temporal error vs bicubic's: rvsr ${signed((100 * (over(clips, (c) => c.terr.rvsr) - tb)) / tb)} %, ` +
      `sesr ${signed((100 * (over(clips, (c) => c.terr.sesr) - tb)) / tb)} %.`,
    '',
    '### Per clip (PSNR-Y dB / temporal error)',
    '',
  );
  lines.push(...header(['clip', 'size', ...TABLE_METHODS, 'rvsr − sesr dB']));
  for (const c of clips) {
    lines.push(
      row([
        c.clip,
        `${c.width}x${c.height}`,
        ...TABLE_METHODS.map((m) => `${f3(mean(c.psnr[m]))} / ${f3(mean(c.terr[m]))}`),
        signed(mean(c.psnr.rvsr) - mean(c.psnr.sesr)),
      ]),
    );
  }
  return lines;
};

const rvsrMinus = (clips: readonly ClipResult[], m: Method): number => over(clips, (c) => c.psnr.rvsr) - over(clips, (c) => c.psnr[m]);

const curveTable = (clips: readonly ClipResult[]): string[] => {
  const gain = (m: Method, i: number): number => mean(clips.map((c) => c.psnr[m][i]! - c.psnr.bicubic[i]!));
  const shown = [0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 25, 30, 35, 39];
  const lines = ['## 2a. Gain over bicubic per frame from frame 0 (dB, mean of the 4 clips)', ''];
  lines.push(...header(['frame', ...shown.map(String)]));
  for (const m of ['rvsr', 'rvsr-alone', 'sesr'] as const) lines.push(row([m, ...shown.map((i) => f3(gain(m, i)))]));
  lines.push(row(['rvsr − sesr', ...shown.map((i) => signed(gain('rvsr', i) - gain('sesr', i)))]));
  return lines;
};

const cutTable = (cuts: readonly CutResult[]): string[] => {
  const lines = ['## 2b. Across a scene cut (A frames 0–19, then B frames 0–19, consecutive indices)', ''];
  const around = range(6, CUT_AT - 2);
  lines.push(
    ...header([
      'splice',
      'reset at the cut',
      'detector says cut',
      ...around.map((i) => `frame ${i} rvsr / sesr`),
      'B part (20–39) rvsr − sesr',
    ]),
  );
  for (const c of cuts) {
    const b = range(CUT_AT, CUT_AT);
    lines.push(
      row([
        c.name,
        c.resetAtCut ? 'yes (output = B frame 0 alone, bit-exact)' : `no (max diff ${c.maxDiffAtCut} from B frame 0 alone)`,
        c.detectorAtCut ? 'yes' : 'no',
        ...around.map((i) => `${f3(c.psnr.rvsr[i]!)} / ${f3(c.psnr.sesr[i]!)}`),
        signed(mean(b.map((i) => c.psnr.rvsr[i]! - c.psnr.sesr[i]!))),
      ]),
    );
  }
  return lines;
};

const segmentTable = (clips: readonly ClipResult[]): string[] => {
  const after = range(Math.floor((FRAMES - 1) / SEGMENT), 1).flatMap((k) => range(AFTER_BOUNDARY, k * SEGMENT).filter((i) => i < FRAMES));
  const diff = (frames?: number[]): number => over(clips, (c) => c.psnr.rvsr.map((p, i) => p - c.psnr['rvsr-seg12'][i]!), frames);
  const lines = [`## 3. Segment boundaries: rvsr streamed once vs restarted every ${SEGMENT} frames`, ''];
  lines.push(...header(['', 'all 40 frames', `first ${AFTER_BOUNDARY} after each boundary (frames ${after.join(', ')})`]));
  lines.push(row(['rvsr streamed, PSNR-Y dB', f3(over(clips, (c) => c.psnr.rvsr)), f3(over(clips, (c) => c.psnr.rvsr, after))]));
  lines.push(
    row([
      `rvsr reset every ${SEGMENT}, PSNR-Y dB`,
      f3(over(clips, (c) => c.psnr['rvsr-seg12'])),
      f3(over(clips, (c) => c.psnr['rvsr-seg12'], after)),
    ]),
  );
  lines.push(row(['cost of the boundaries (streamed − reset)', signed(diff()), signed(diff(after))]));
  lines.push(
    row([
      'temporal error, streamed / reset',
      `${f3(over(clips, (c) => c.terr.rvsr))} / ${f3(over(clips, (c) => c.terr['rvsr-seg12']))}`,
      '',
    ]),
  );
  return lines;
};

const speedTable = (sp: Speed): string[] => {
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mb = (b: number): string => `${(b / 1e6).toFixed(2)} MB`;
  const [r, s] = [med(sp.rvsrMs), med(sp.sesrMs)];
  const choice = { scale: SCALE, threads: 1, backend: 'onnx', device: 'cpu' } as const;
  // Multiply-adds per LR pixel, from the JSON beside each shipped graph.
  const macs = (model: string): number =>
    (
      JSON.parse(readFileSync(resolveModel({ ...choice, model }).path.replace(/\.onnx$/, '.json'), 'utf8')) as {
        architecture: { macsPerLrPixel: number };
      }
    ).architecture.macsPerLrPixel;
  const [rm, sm] = [macs('rvsr'), macs('sesr')];
  const lines = [`## 4. Model-only speed at ${SPEED.width}x${SPEED.height} → x${SCALE} (onnxruntime CPU, 2 intra-op threads each)`, ''];
  lines.push(...header(['model', 'ms/frame (median of rounds)', 'rounds', 'fps']));
  lines.push(row([`rvsr-x${SCALE} (state carried)`, r.toFixed(1), sp.rvsrMs.map((x) => x.toFixed(0)).join(', '), (1000 / r).toFixed(2)]));
  lines.push(row([`sesr-x${SCALE}`, s.toFixed(1), sp.sesrMs.map((x) => x.toFixed(0)).join(', '), (1000 / s).toFixed(2)]));
  lines.push(
    '',
    `rvsr / sesr: ${(r / s).toFixed(2)} × the time (MACs: ${rm.toLocaleString('en')} / ${sm.toLocaleString('en')} = ${(rm / sm).toFixed(2)} ×). ${SPEED.rounds} alternating rounds of ${SPEED.frames} frames each, after 2 warm-up frames; on a shared machine (load average ${load.toFixed(1)} at the start of the run), so the milliseconds move from run to run more than the ratio does.`,
    '',
    `The past rvsr keeps at ${SPEED.width}x${SPEED.height} (float32): state ${mb(sp.stateBytes)} + previous frame ${mb(sp.prevFrameBytes)} + previous output ${mb(sp.prevOutputBytes)} = ${mb(sp.stateBytes + sp.prevFrameBytes + sp.prevOutputBytes)}.`,
  );
  return lines;
};

const resetNotes = (clips: readonly ClipResult[]): string[] =>
  clips.map(
    (c) =>
      `- ${c.clip}: detector cuts inside the clip: ${c.detectorCuts.length ? c.detectorCuts.join(', ') : 'none'}; ` +
      `frames whose streamed output equals the frame alone (a reset): ${c.resets.length ? c.resets.join(', ') : 'none'}`,
  );

// ---------- main ----------

const t0 = performance.now();
const load = loadavg()[0]!;
mkdirSync(FIGURES, { recursive: true });
mkdirSync(RESULTS, { recursive: true });
const models = await loadModels();
const clips: ClipResult[] = [];
for (const clip of CLIPS) {
  clips.push(await runClip(clip, models));
  console.error(`${clip}: done at ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
const cuts: CutResult[] = [];
for (const cut of CUTS) cuts.push(await runCut(cut, models));
console.error(`scene cuts: done at ${((performance.now() - t0) / 1000).toFixed(0)} s`);
await models.dispose();
const speed = await measureSpeed();
const crop = await sideBySide(clips);
curves(clips, cuts);

const md = [
  `# rvsr-x${SCALE} vs sesr-x${SCALE} vs bicubic on the held-out clips`,
  '',
  `\`node --import tsx bench/rvsr-quality.ts\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. ` +
    `Clips ${CLIPS.join(', ')} (../shared/data/video-train), first ${FRAMES} frames, whole frames mod-cropped to ${SCALE}; ` +
    `input = downscaleFrame (self mode's antialiased bicubic), truth = the decoded frame. PSNR-Y peak 255, ${SHAVE} px shaved, ` +
    `8-bit outputs, mean over frames then clips; temporal error = mean |Δoutput − Δtruth| (8-bit, same shave). ` +
    `Through the Node upscalers (createRecurrentUpscaler, createFrameUpscaler, createBicubicUpscaler), onnxruntime CPU, 1 thread.`,
  '',
  ...qualityTables(clips),
  '',
  'Resets inside the clips (the scene-cut detector on consecutive input frames, and the outputs):',
  '',
  ...resetNotes(clips),
  '',
  ...curveTable(clips),
  '',
  ...cutTable(cuts),
  '',
  ...segmentTable(clips),
  '',
  ...speedTable(speed),
  '',
  '## 5. Figures',
  '',
  `- docs/figures/rvsr-side-by-side${SUFFIX}.png: bicubic | sesr | rvsr | ground truth, ${crop}.`,
  `- docs/figures/rvsr-curves${SUFFIX}.png: the per-frame gain over bicubic from frame 0 (rvsr streamed, alone, reset every 12; sesr) and PSNR-Y across both scene cuts.`,
  '',
  `Total time ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
  '',
].join('\n');
writeFileSync(join(RESULTS, `rvsr-quality${SUFFIX}.md`), md);
// BENCH_RVSR_DUMP=FILE: every per-frame series as JSON, for a closer look.
if (process.env.BENCH_RVSR_DUMP) {
  const series = {
    clips: clips.map(({ clip, psnr: p, terr, resets, detectorCuts }) => ({ clip, psnr: p, terr, resets, detectorCuts })),
    cuts,
    speed,
  };
  writeFileSync(process.env.BENCH_RVSR_DUMP, JSON.stringify(series));
}
console.log(md);

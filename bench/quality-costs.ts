// Per-frame cost of each quality step at 640x360 → 1280x720 (x2), on real decoded frames: what --monitor,
// --report and --reference add to a frame, measured on the main thread where the pipeline runs them.
import { spawnSync } from 'node:child_process';
import { allocateFrame, makeFrame, type Frame } from '../src/pipeline/frame.js';
import { createQualityProbe, resizePlane } from '../src/quality/create-quality-probe.js';
import { makePreview } from '../src/monitor/make-preview.js';

const W = 640;
const H = 360;

const decodeFrames = (clip: string, n: number): Frame[] => {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', clip, '-frames:v', String(n), '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], {
    maxBuffer: 1 << 30,
  });
  const size = (W * H * 3) / 2;
  return Array.from({ length: Math.floor(r.stdout.length / size) }, (_, i) =>
    makeFrame(i, i * 40, { width: W, height: H, pixFmt: 'yuv420p' }, new Uint8Array(r.stdout.subarray(i * size, (i + 1) * size))),
  );
};

/** An x2 output of any frame, made by bicubic (the metric's cost does not depend on the pixels). */
const upscaled = (f: Frame): Frame => {
  const out = allocateFrame(f.index, f.ptsMs, { ...f.format, width: f.format.width * 2, height: f.format.height * 2 });
  out.planes.forEach((p, i) => p.data.set(resizePlane(f.planes[i]!, p.width, p.height, 2, 255).data));
  return out;
};

export const qualityCosts = async (clip: string): Promise<string[][]> => {
  const frames = decodeFrames(clip, 12);
  const rows: string[][] = [];
  // Reference mode compares with a video at the output size: stand-ins made up front, outside the timing.
  const references = new Map(frames.map((f) => [f.index, upscaled(f)]));
  for (const mode of ['consistency', 'self', 'reference'] as const) {
    const probe = createQualityProbe({
      mode,
      scale: 2,
      ...(mode === 'reference' ? { reference: async (f: Frame) => references.get(f.index) ?? null } : {}),
    });
    const sums = { bicubic: 0, resize: 0, psnr: 0, ssim: 0, total: 0 };
    let n = 0;
    for (const [i, f] of frames.entries()) {
      const input = probe.prepare(f);
      const out = mode === 'self' ? upscaled(input) : upscaled(f);
      const t0 = performance.now();
      const q = await probe.measure(f, input, out);
      const total = performance.now() - t0;
      if (i < 2 || !q) continue; // warm-up
      n++;
      for (const k of ['bicubic', 'resize', 'psnr', 'ssim'] as const) sums[k] += q.costMs[k];
      sums.total += total;
    }
    const ms = (k: keyof typeof sums): string => (sums[k] / n).toFixed(1);
    rows.push([
      `quality, ${mode} (output 1280x720 or the input's size)`,
      `${ms('total')} ms/frame`,
      `bicubic ${ms('bicubic')} · downscale ${ms('resize')} · PSNR ${ms('psnr')} · SSIM ${ms('ssim')} ms`,
      '',
    ]);
  }
  let t = 0;
  for (const f of frames.slice(0, 6)) {
    const t0 = performance.now();
    await makePreview(f, upscaled(f), 'bt709');
    if (f.index >= 2) t += performance.now() - t0;
  }
  rows.push(['dashboard preview (2 JPEGs, 1280x720)', `${(t / 4).toFixed(1)} ms`, 'once every --preview-every frames', '']);
  return rows;
};

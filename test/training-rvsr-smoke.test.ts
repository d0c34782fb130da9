// One tiny run of training/train_rvsr.py with Debian's PyTorch on clips cut from real footage: it caches the
// clips, trains on recurrent unrolls, validates on the held-out clip names, checkpoints, resumes, and its
// checkpoint exports (training/export_rvsr.py) to a graph that onnxruntime runs with the state fed back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOnnxRecurrent } from '../src/models/backends/onnxruntime.js';
import { motionSearchOf } from '../src/models/rvsr/global-motion.js';
import { realLumaFrames } from './helpers/real-luma.js';

const PYTHON = process.env.SRVID_PYTHON ?? '/usr/bin/python3';
const TRAINING = new URL('../training/', import.meta.url).pathname;
const CLIP = new URL('../../shared/data/video/vtest_768x576_f000-023.y4m', import.meta.url).pathname;
const SET5 = new URL('../../shared/data/val/Set5', import.meta.url).pathname;
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, PIL, matplotlib, onnx'], { stdio: 'ignore' }).status === 0;
const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
/** train_rvsr.py holds these out for validation (rvsr_data.VAL_CLIPS); the smoke test's clips take their names. */
const VAL_CLIPS = ['davis16_dog', 'davis17_tennis', 'sam2_bedroom', 'opencv_cup'];

/** Python lines run with the training folder importable and Set5's folder as SET5; returns the numbers printed. */
const pythonNumbers = (lines: readonly string[]): number[] => {
  const prelude = [
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(TRAINING)})`,
    'from pathlib import Path',
    `SET5 = Path(${JSON.stringify(SET5)})`,
  ];
  const r = spawnSync(PYTHON, ['-c', [...prelude, ...lines].join('\n')], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split(' ').map(Number);
};

/** onnxruntime runs an exported x2 graph with a 4-channel state two real frames on, its outputs fed back. */
const runsTwoFrames = async (onnx: string): Promise<void> => {
  const model = await loadOnnxRecurrent({ path: onnx, name: 'rvsr-x2', scale: 2, threads: 1 });
  try {
    assert.equal(model.stateChannels, 4);
    const [w, h] = [24, 16];
    const frames = realLumaFrames(2, w, h).map((y) => Float32Array.from(y, (v) => v / 255));
    let past: { readonly yUp: Float32Array; readonly state: Float32Array } = {
      yUp: new Float32Array(4 * w * h),
      state: new Float32Array(4 * w * h),
    };
    for (const [t, y] of frames.entries()) {
      past = await model.step({ y, yPrev: frames[Math.max(0, t - 1)]!, yUpPrev: past.yUp, state: past.state }, w, h);
      assert.equal(past.yUp.length, 4 * w * h);
      assert.ok(past.yUp.every(Number.isFinite));
    }
  } finally {
    await model.dispose();
  }
};

const csvRows = (path: string): string[][] =>
  readFileSync(path, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(','));

describe(
  'rvsr training smoke test',
  {
    skip:
      (!hasTorch &&
        `needs ${PYTHON} with torch, PIL, matplotlib and onnx (apt-get install python3-torch python3-pil python3-matplotlib python3-onnx)`) ||
      (!existsSync(CLIP) && `needs the real clip ${CLIP}`) ||
      (!hasFfmpeg && 'needs ffmpeg on the PATH'),
  },
  () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'srvid-rvsr-train-'));
      mkdirSync(join(dir, 'video'));
      // Five 64x48 crops of the street clip, 12 frames each, at different places: one to train on, four held out.
      for (const [i, name] of ['train_street', ...VAL_CLIPS].entries()) {
        const r = spawnSync('ffmpeg', [
          ...['-v', 'error', '-i', CLIP, '-frames:v', '12', '-vf', `crop=64:48:${120 + 90 * i}:${160 + 40 * i},format=yuv420p`],
          ...['-c:v', 'ffv1', join(dir, 'video', `${name}.mkv`)],
        ]);
        assert.equal(r.status, 0, String(r.stderr));
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const train = (steps: number, extra: string[] = []) =>
      spawnSync(
        PYTHON,
        [
          join(TRAINING, 'train_rvsr.py'),
          ...['--scale', '2', '--out', join(dir, 'run'), '--video', join(dir, 'video'), '--cache', join(dir, 'cache')],
          ...['--photo-share', '0', '--width', '8', '--layers', '2', '--state', '4', '--steps', String(steps)],
          ...['--batch', '2', '--frames', '3', '--patch', '8', '--warmup', '1', '--val-every', '1', '--val-frames', '4'],
          ...['--val-crop', '32', '--threads', '1', '--seed', '3', ...extra],
        ],
        { encoding: 'utf8', timeout: 300_000 },
      );

    it('trains on recurrent unrolls, validates against bicubic and sesr, checkpoints and resumes', () => {
      const first = train(2);
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /1 training clips \(12 frames\)/);
      assert.ok(existsSync(join(dir, 'cache', 'train_street.x2.npy')), 'the clips are decoded and degraded once, into the cache');
      const run = join(dir, 'run');
      for (const f of ['args.json', 'ckpt.pt', 'train.csv', 'val.csv', 'curves.png']) assert.ok(existsSync(join(run, f)), f);
      const header = readFileSync(join(run, 'val.csv'), 'utf8').split(/\r?\n/)[0]!.split(',');
      for (const column of ['rvsr', 'bicubic', 'sesr', 'terr_rvsr', 'terr_bicubic', ...VAL_CLIPS.map((n) => `rvsr_${n}`)]) {
        assert.ok(header.includes(column), `val.csv has ${column}`);
      }
      const rows = csvRows(join(run, 'val.csv'));
      assert.deepEqual(
        rows.map((r) => r[0]),
        ['0', '1', '2'],
      );
      // Real numbers: PSNR of a real picture near bicubic's after two steps, and a temporal error.
      const psnr = Number(rows[2]![header.indexOf('rvsr')]);
      const bicubic = Number(rows[2]![header.indexOf('bicubic')]);
      assert.ok(psnr > 15 && psnr < 60 && bicubic > 15 && bicubic < 60, `rvsr ${psnr} dB, bicubic ${bicubic} dB`);
      assert.ok(Number(rows[2]![header.indexOf('terr_rvsr')]) > 0);

      // Resumed with the pans over held-out photographs added: the new columns, blank in the rows from before.
      const resumed = train(3, ['--resume', '--val-pans', SET5]);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout, /resumed at step 2/);
      assert.match(resumed.stdout, /pans: bicubic \d+\.\d+ dB, temporal error [\d.]+, sesr \d+\.\d+ dB/);
      assert.ok(existsSync(join(run, 'args-resume-2.json')));
      const header2 = readFileSync(join(run, 'val.csv'), 'utf8').split(/\r?\n/)[0]!.split(',');
      const rows2 = csvRows(join(run, 'val.csv'));
      assert.deepEqual(
        rows2.map((r) => r[0]),
        ['0', '1', '2', '3'],
      );
      const col = header2.indexOf('pans_rvsr');
      assert.ok(col > 0 && header2.includes('pans_rvsr_alone') && header2.includes('pans_terr_rvsr'), header2.join());
      assert.equal(rows2[2]![col], '');
      assert.ok(Number(rows2[3]![col]) > 15 && Number(rows2[3]![col]) < 60, `pans ${rows2[3]![col]} dB`);
    });

    it("records the pans' true motion through every augmentation, so that moving the past by it aligns each frame", () => {
      // Every consecutive pair of 150 augmented pans: the HR of frame t-1 moved by the recorded shift equals frame
      // t's away from the edges; moved the opposite way it does not (wherever the shift is not zero).
      const [good, wrong, moving] = pythonNumbers([
        'import numpy as np, torch',
        'from rvsr_data import PhotoPans, photo_paths',
        'from rvsr import shift_past',
        'pans = PhotoPans(photo_paths([SET5]), 4, 16, np.random.default_rng(5))',
        'same = lambda a, d, b: np.array_equal(shift_past(torch.from_numpy(a[None, None].copy()), torch.tensor(np.array([d])))[0, 0].numpy()[8:-8, 8:-8], b[8:-8, 8:-8])',
        'good = wrong = moving = 0',
        'for _ in range(150):',
        '    lr, hr, d = pans.sequence(6)',
        '    hr = hr.astype(np.float64)',
        '    for t in range(1, 6):',
        '        good += same(hr[t - 1], d[t], hr[t])',
        '        if d[t].any(): moving += 1; wrong += same(hr[t - 1], -d[t], hr[t])',
        'print(good, wrong, moving)',
      ]);
      assert.equal(good, 750);
      assert.ok(moving! > 300, `${moving} moving pairs`);
      assert.equal(wrong, 0);
    });

    it('estimates the global motion between LR frames to the HR pixel on most frames of the pans (motion.py)', () => {
      const [exact, near, n] = pythonNumbers([
        'import numpy as np',
        'from pans_rvsr import sequences',
        'from motion import estimate_shifts',
        'exact = near = n = 0',
        'for _, _, lr, _, d in sequences(2, [SET5], 192):',
        '    e = estimate_shifts(lr, 2)',
        '    exact += int((e[1:] == d[1:]).all(1).sum()); near += int((np.abs(e[1:] - d[1:]).max(1) <= 1).sum()); n += len(d) - 1',
        'print(exact, near, n)',
      ]);
      assert.equal(n, 5 * 5 * 29);
      assert.ok(exact! / n! > 0.85, `${exact} of ${n} exact`);
      assert.equal(near, n);
    });

    it('grows a checkpoint into a wider network that computes what it did, and then trains its new channels', () => {
      // RVSR.load_grown: 8 channels into 12 (fused both). The new channels start unread: the same outputs over a
      // real pan; one gradient step on the outputs moves the weights that read them.
      const [same, moved] = pythonNumbers([
        'import numpy as np, torch',
        'from rvsr import RVSR',
        'from rvsr_data import PhotoPans, photo_paths',
        'torch.manual_seed(0)',
        'small = RVSR(2, 8, 3, 4, True); big = RVSR(2, 12, 3, 4, True)',
        'big.load_grown(small.state_dict())',
        'lr, hr, _ = PhotoPans(photo_paths([SET5]), 2, 16, np.random.default_rng(1)).sequence(4)',
        'x = torch.from_numpy(lr.astype(np.float32) / 255)[None, :, None]',
        'with torch.no_grad(): a, _ = small.run(x); b, _ = big.run(x)',
        'out, _ = big.run(x); out.sub(torch.from_numpy(hr.astype(np.float32) / 255)[None, :, None]).abs().mean().backward()',
        'print(float((a - b).abs().max()), float(big.convs[1].weight.grad[:, 8:].abs().max()))',
      ]);
      assert.ok(same! < 1e-6, `max |small - grown| = ${same}`);
      assert.ok(moved! > 0, 'the weights that read the new channels get a gradient');
    });

    it('grows a fused checkpoint into one that also sees how far its past, degraded, is from the frame (--confidence)', () => {
      // The extra input is RVSR.degrade(past) - frame, scaled: near zero where the past is the frame's own HR
      // (data.degrade rounds to 8 bits), far from it where the past is off by 3 HR pixels. Borders left out.
      const [same, moved, own, off, macs] = pythonNumbers([
        'import numpy as np, torch',
        'from rvsr import RVSR, CONFIDENCE_GAIN',
        'from rvsr_data import PhotoPans, photo_paths',
        'torch.manual_seed(0)',
        'small = RVSR(2, 8, 3, 4, True); big = RVSR(2, 8, 3, 4, True, True)',
        'big.load_grown(small.state_dict())',
        'lr, hr, _ = PhotoPans(photo_paths([SET5]), 2, 24, np.random.default_rng(1)).sequence(4)',
        'x = torch.from_numpy(lr.astype(np.float32) / 255)[None, :, None]',
        'y = torch.from_numpy(hr.astype(np.float32) / 255)[None, :, None]',
        'with torch.no_grad(): a, _ = small.run(x); b, _ = big.run(x)',
        'out, _ = big.run(x); out.sub(y).abs().mean().backward()',
        'inner = lambda past: float(big.mismatch(x[:, 0], big.degrade(past))[..., 4:-4, 4:-4].abs().mean() / CONFIDENCE_GAIN * 255)',
        'with torch.no_grad(): own = inner(y[:, 0]); off = inner(torch.roll(y[:, 0], 3, -1))',
        'print(float((a - b).abs().max()), float(big.conf.weight.grad.abs().max()), own, off,',
        '      big.macs_per_lr_pixel() - small.macs_per_lr_pixel())',
        `torch.save({"model": big.state_dict(), "config": big.config(), "step": 0}, ${JSON.stringify(join(dir, 'confidence.pt'))})`,
      ]);
      assert.ok(same! < 1e-6, `max |fused - grown| = ${same}`);
      assert.ok(moved! > 0, 'the weights that read the new input get a gradient');
      assert.ok(own! < 0.5, `own past: ${own} 8-bit levels from the frame`);
      assert.ok(off! > 10 * own!, `a past 3 HR pixels off: ${off} levels, own: ${own}`);
      assert.equal(macs, 9 * 8);
      // The pipeline does not run it: the exporter says so instead of writing a graph whose metadata leaves it out.
      const r = spawnSync(PYTHON, [join(TRAINING, 'export_rvsr.py'), join(dir, 'confidence.pt'), '--out', join(dir, 'confidence.onnx')], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^export_rvsr\.py: a --confidence checkpoint is an experiment .*; not exported\n$/);
      assert.ok(!existsSync(join(dir, 'confidence.onnx')));
    });

    it("trains the pans with their estimated motion (--pans-estimated): the same frames, the shifts motion.py's, near the true ones", () => {
      // The same seed draws the same pans with either motion. At x4 the estimate from a 16-pixel LR window (and
      // its margins) finds the true shift on about half the frame pairs, within a pixel on most (here 244 and
      // 440 of 500), so training sees the misses the pipeline's estimate makes, more often.
      const [same, exact, near, n] = pythonNumbers([
        'import numpy as np',
        'from rvsr_data import PhotoPans, photo_paths',
        'true = PhotoPans(photo_paths([SET5]), 4, 16, np.random.default_rng(5))',
        'est = PhotoPans(photo_paths([SET5]), 4, 16, np.random.default_rng(5), estimated=True)',
        'same = exact = near = n = 0',
        'for _ in range(100):',
        '    (la, ha, da), (lb, hb, db) = true.sequence(6), est.sequence(6)',
        '    same += int(np.array_equal(la, lb) and np.array_equal(ha, hb))',
        '    exact += int((da[1:] == db[1:]).all(1).sum()); near += int((np.abs(da[1:] - db[1:]).max(1) <= 1).sum()); n += 5',
        'print(same, exact, near, n)',
      ]);
      assert.equal(same, 100);
      assert.ok(exact! < n!, 'the estimate is not the true motion on every pair');
      assert.ok(exact! / n! > 0.35, `${exact} of ${n} exact`);
      assert.ok(near! / n! > 0.8, `${near} of ${n} within a pixel`);
    });

    it("trains with the clips' past moved by their estimated motion (--align-clips), the motion cached and moved with every augmentation", () => {
      // A clip whose window glides 2 HR pixels right a frame (1 LR pixel at x2) over a still picture of the street,
      // beside the held-out clips.
      const video = join(dir, 'video-pan');
      mkdirSync(video);
      const still = join(dir, 'still.png');
      const ffmpeg = (args: string[]) => spawnSync('ffmpeg', ['-v', 'error', ...args]);
      const grab = ffmpeg(['-i', CLIP, '-frames:v', '1', '-vf', 'crop=200:100:100:150', still]);
      assert.equal(grab.status, 0, String(grab.stderr));
      const pan = ffmpeg([
        ...['-loop', '1', '-framerate', '25', '-i', still, '-vf', 'crop=64:48:20+2*n:20,format=yuv420p'],
        ...['-frames:v', '12', '-c:v', 'ffv1', join(video, 'train_pan.mkv')],
      ]);
      assert.equal(pan.status, 0, String(pan.stderr));
      for (const name of VAL_CLIPS) copyFileSync(join(dir, 'video', `${name}.mkv`), join(video, `${name}.mkv`));
      const cache = join(dir, 'cache-pan');
      const args = ['--video', video, '--cache', cache, '--out', join(dir, 'run-aligned'), '--fuse', '--align-pans', '--steps', '1'];
      const refused = train(1, [...args.filter((a) => a !== '--align-pans'), '--align-clips']);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /--align-clips needs --align-pans/);
      const r = train(1, [...args, '--align-clips']);
      assert.equal(r.status, 0, r.stderr);
      // The cached motion is motion.py's on the whole LR frames; frame t's window moved (0, 2) HR pixels from t-1's,
      // (0, 4) from t-2's. Sampled sequences carry it through flips, transposes and time reversal: the previous HR
      // frame moved by it is the current one wherever the window shows it.
      const [rows, good, seqs] = pythonNumbers([
        'import numpy as np, torch',
        'from rvsr_data import VideoSampler, clip_shifts, load_clip',
        'from motion import global_shift',
        'from rvsr import shift_past',
        `cache = Path(${JSON.stringify(cache)})`,
        'lr, _ = load_clip(cache, "train_pan", 2)',
        'd1, d2 = clip_shifts(cache, "train_pan", 2, 1), clip_shifts(cache, "train_pan", 2, 2)',
        'assert (d1[1:] == [0, 2]).all() and (d2[2:] == [0, 4]).all() and not d1[0].any() and not d2[:2].any(), (d1, d2)',
        'assert all((global_shift(lr[t - 1], lr[t], 2) == d1[t]).all() for t in range(1, len(lr)))',
        'sampler = VideoSampler(cache, ["train_pan"], 2, 16, seed=4, clip_motion=True)',
        'good = 0',
        'for _ in range(40):',
        '    _, hr, d = sampler.sequence(5, with_shifts=True)',
        '    hr = hr.astype(np.float64)',
        '    good += all(np.array_equal(shift_past(torch.from_numpy(hr[t - 1][None, None].copy()), torch.tensor(np.array([d[t]])))[0, 0].numpy()[8:-8, 8:-8], hr[t][8:-8, 8:-8]) and d[t].any() for t in range(1, 5))',
        'print(len(d1), good, 40)',
      ]);
      assert.equal(rows, 12);
      assert.equal(good, seqs, `${good} of ${seqs} sequences aligned frame after frame`);
    });

    it('moves a past by a shift per LR pixel (rvsr.move_past) and carries such a field through every augmentation', () => {
      // Two halves of a photograph, each gliding its own way: the field says each LR pixel's shift. After random
      // flips, transposes and time reversal the previous HR frame, moved by the field, is the current one wherever
      // the source lies in the same half and in the frame; moved by the opposite field it mostly is not. Block
      // shifts cropped by crop_field are the same field as the whole frame's, expanded and then cropped.
      const [good, checked, wrong, moving, cropped] = pythonNumbers([
        'import numpy as np, torch',
        'from data import list_images, load_y',
        'from motion import block_edges',
        'from rvsr import move_past',
        'from rvsr_data import augment, crop_field',
        'img = np.round(load_y(sorted(list_images(SET5))[0])).astype(np.uint8)',
        'rng = np.random.default_rng(2)',
        'T, H, W, s = 6, 32, 48, 2',
        'good = checked = wrong = moving = 0',
        'for _ in range(60):',
        '    da, db = rng.integers(-3, 4, 2), rng.integers(-3, 4, 2)',
        '    half = lambda y, x, d, t: img[y + t * d[0] : y + t * d[0] + H, x + t * d[1] : x + t * d[1] + W // 2]',
        '    hr = np.stack([np.concatenate([half(40, 40, da, t), half(120, 100, db, t)], 1) for t in range(T)])',
        '    label = np.zeros((T, H // s, W // s), np.int64); label[:, :, W // s // 2 :] = 1',
        '    field = np.where(label[..., None] == 0, da, db); field[0] = 0',
        '    lab, hr, f = augment(label, hr, rng, field)',
        '    for t in range(1, T):',
        '        h, w = hr.shape[1:]',
        '        d = f[t].repeat(s, 0).repeat(s, 1)',
        '        yy, xx = np.mgrid[0:h, 0:w]',
        '        sy, sx = yy + d[..., 0], xx + d[..., 1]',
        '        lab_hr = lab[t].repeat(s, 0).repeat(s, 1)',
        '        ok = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w) & (lab_hr == lab_hr[sy.clip(0, h - 1), sx.clip(0, w - 1)])',
        '        prev, ft = torch.from_numpy(hr[t - 1][None, None].astype(np.float64)), torch.from_numpy(f[t].copy())[None]',
        '        mv = ok & (d != 0).any(-1)',
        '        good += int((move_past(prev, ft, s)[0, 0].numpy() == hr[t])[ok].sum()); checked += int(ok.sum())',
        '        wrong += int((move_past(prev, -ft, s)[0, 0].numpy() == hr[t])[mv].sum()); moving += int(mv.sum())',
        'blocks = rng.integers(-5, 6, (3, 4, 5, 2))',
        'whole = blocks.repeat(np.diff(block_edges(50, 12)), 1).repeat(np.diff(block_edges(61, 12)), 2)',
        'cropped = int(all(np.array_equal(crop_field(blocks, 50, 61, 12, y, x, 16), whole[:, y : y + 16, x : x + 16]) for y in range(35) for x in range(46)))',
        'print(good, checked, wrong, moving, cropped)',
      ]);
      assert.equal(good, checked);
      assert.ok(checked! > 300_000, `${checked} pixels checked`);
      assert.ok(wrong! < moving! / 4, `${wrong} of ${moving} moving pixels also match the opposite move`);
      assert.equal(cropped, 1);
    });

    it("trains with the clips' motion per block (--clip-blocks): cached per clip, a field in training and validation", () => {
      const cache = join(dir, 'cache-pan');
      assert.ok(existsSync(join(cache, 'train_pan.x2.npy')), 'runs after the --align-clips test');
      const args = ['--video', join(dir, 'video-pan'), '--cache', cache, '--out', join(dir, 'run-blocks'), '--fuse', '--align-pans'];
      const refused = train(1, [...args, '--clip-blocks', '8']);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /--clip-blocks needs --align-clips and --refine cubic/);
      const r = train(1, [...args, '--align-clips', '--clip-blocks', '8']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(csvRows(join(dir, 'run-blocks', 'val.csv')).length, 2);
      // The pan's whole frame moves (0, 2) HR pixels a frame: every block of it says so, from t - 1 and t - 2.
      const [blocks, right] = pythonNumbers([
        'import numpy as np',
        'from rvsr_data import clip_block_shifts',
        `d1 = clip_block_shifts(Path(${JSON.stringify(cache)}), "train_pan", 2, 8)`,
        `d2 = clip_block_shifts(Path(${JSON.stringify(cache)}), "train_pan", 2, 8, 2)`,
        'print(d1.shape[1] * d1.shape[2], int((d1[1:] == [0, 2]).all() and (d2[2:] == [0, 4]).all() and not d1[0].any()))',
      ]);
      assert.equal(blocks, 12);
      assert.equal(right, 1);
    });

    it('moves the past by other motion estimates (motion_rvsr.py): its global variant is RVSR.run with motion.py, and one block as large as the frame is the global shift', () => {
      const ckpt = join(dir, 'run-aligned', 'ckpt.pt');
      const cache = join(dir, 'cache-pan');
      assert.ok(existsSync(ckpt), 'runs after the --align-clips test');
      const r = spawnSync(
        PYTHON,
        [join(TRAINING, 'motion_rvsr.py'), ckpt, '--cache', cache, '--frames', '12', '--radius', '3', '1', '--blocks', '64'],
        { encoding: 'utf8', timeout: 300_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const all = (label: string): [number, number] => {
        const m = new RegExp(`^all ${label}\\s*(\\d+\\.\\d+) dB, temporal error (\\d+\\.\\d+)$`, 'm').exec(r.stdout);
        assert.ok(m, `${label}: ${r.stdout}`);
        return [Number(m[1]), Number(m[2])];
      };
      const [psnr, terr] = pythonNumbers([
        'import numpy as np, torch',
        'from rvsr import RVSR',
        'from motion import estimate_shifts',
        'from rvsr_data import VAL_CLIPS, load_clip',
        'from train_rvsr import clip_scores, run_rvsr',
        `state = torch.load(${JSON.stringify(ckpt)}, map_location="cpu")`,
        'model = RVSR(**state["config"]); model.load_state_dict(state["model"])',
        's = []',
        'for name in VAL_CLIPS:',
        `    lr, hr = load_clip(Path(${JSON.stringify(cache)}), name, 2)`,
        '    lr, hr = np.asarray(lr[:12]), np.asarray(hr[:12], np.float64)',
        '    p, t = clip_scores(run_rvsr(model, lr.astype(np.float32) / 255, shifts=estimate_shifts(lr, 2)), hr, 2)',
        '    s.append((np.mean(p), t))',
        'print(round(np.mean([p for p, _ in s]), 3), round(np.mean([t for _, t in s]), 3))',
      ]);
      assert.deepEqual(all('global r3'), [psnr, terr]);
      assert.deepEqual(all('blocks 64'), all('global r3'));
      // A radius of 1 LR pixel misses the street footage's motion somewhere: the measurement sees the estimate.
      assert.notDeepEqual(all('global r1'), all('global r3'));
    });

    it('scores offline ensembles (motion_rvsr.py --ensemble): the backward run is the forward run of the reversed clip, and the means are no worse than the runs they average', () => {
      const ckpt = join(dir, 'run-aligned', 'ckpt.pt');
      const cache = join(dir, 'cache-pan');
      assert.ok(existsSync(ckpt), 'runs after the --align-clips test');
      const r = spawnSync(
        PYTHON,
        [join(TRAINING, 'motion_rvsr.py'), ckpt, '--cache', cache, '--frames', '12', '--blocks', '8', '--ensemble'],
        {
          encoding: 'utf8',
          timeout: 300_000,
        },
      );
      assert.equal(r.status, 0, r.stderr);
      const all = (label: string): [number, number] => {
        const m = new RegExp(`^all ${label}\\s*(\\d+\\.\\d+) dB, temporal error (\\d+\\.\\d+)$`, 'm').exec(r.stdout);
        assert.ok(m, `${label}: ${r.stdout}`);
        return [Number(m[1]), Number(m[2])];
      };
      // Reversing a clip changes neither its mean PSNR nor its temporal error, so the reversed clip run forwards
      // scores what the backward run scores only if the backward outputs are put back in the clip's order.
      const reversed = pythonNumbers([
        'import numpy as np, torch',
        'from rvsr import RVSR',
        'from motion_rvsr import run',
        'from rvsr_data import VAL_CLIPS, load_clip',
        'from train_rvsr import clip_scores',
        `state = torch.load(${JSON.stringify(ckpt)}, map_location="cpu")`,
        'model = RVSR(**state["config"]).eval(); model.load_state_dict(state["model"])',
        's = []',
        'for name in VAL_CLIPS:',
        `    lr, hr = load_clip(Path(${JSON.stringify(cache)}), name, 2)`,
        '    lr, hr = np.asarray(lr[:12])[::-1].copy(), np.asarray(hr[:12], np.float64)[::-1]',
        '    p, t = clip_scores(run(model, lr, 8, 3), hr, 2)',
        '    s.append((np.mean(p), t))',
        'print(round(np.mean([p for p, _ in s]), 3), round(np.mean([t for _, t in s]), 3))',
      ]);
      assert.deepEqual(all('blocks 8 backward'), reversed);
      assert.notDeepEqual(all('blocks 8 backward'), all('blocks 8'));
      // The mean of two estimates has at most their mean square error on every frame (8-bit rounding aside): an
      // output left reversed in time or mirrored would pull the means far below both runs on moving footage.
      const worst = Math.min(all('blocks 8')[0], all('blocks 8 backward')[0]);
      assert.ok(all('blocks 8 both ways')[0] >= worst - 0.005, r.stdout);
      assert.ok(all('blocks 8 both ways mirrored')[0] >= worst - 0.005, r.stdout);
    });

    it('scores a checkpoint on slow pans over held-out photographs against bicubic and sesr (pans_rvsr.py)', () => {
      assert.ok(existsSync(join(dir, 'run', 'ckpt.pt')), 'runs after the training test');
      const args = [join(TRAINING, 'pans_rvsr.py'), join(dir, 'run', 'ckpt.pt'), '--photos', SET5, '--crop', '32'];
      const r = spawnSync(PYTHON, [...args, '--block', '8', '--ensemble'], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /x2, 5 photos x 5 velocities, 30 frames/);
      const gain = (label: string) => Number(new RegExp(`^${label}\\s{2,}.*\\s([+-]\\d+\\.\\d+)\\s+[\\d.]+$`, 'm').exec(r.stdout)?.[1]);
      assert.equal(gain('bicubic'), 0);
      assert.ok(gain('sesr') > 1, `sesr over bicubic: ${r.stdout}`);
      for (const label of ['run@3', 'run@3 alone', 'run@3 blocks 8', 'run@3 blocks 8 both ways mirrored']) {
        assert.ok(Number.isFinite(gain(label)), `${label}: ${r.stdout}`);
      }
      const refused = spawnSync(PYTHON, [...args, '--ensemble'], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /--ensemble needs --block/);
    });

    /** The exporter's check against PyTorch: 3 frames of a 32-pixel crop of the test's clip cache. */
    const exportCheck = (): string[] => ['--cache', join(dir, 'cache'), '--frames', '3', '--crop', '32'];

    // Exports the checkpoint the test above trained.
    it('exports the checkpoint to a graph with the state as inputs and outputs, equal to PyTorch, that onnxruntime runs', async () => {
      assert.ok(existsSync(join(dir, 'run', 'ckpt.pt')), 'runs after the training test');
      const onnx = join(dir, 'rvsr-x2.onnx');
      const r = spawnSync(PYTHON, [join(TRAINING, 'export_rvsr.py'), join(dir, 'run', 'ckpt.pt'), '--out', onnx, ...exportCheck()], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const diff = Number(/max \|diff\| (\S+)/.exec(r.stdout)?.[1]);
      assert.ok(diff < 1e-4, `ONNX against PyTorch: ${r.stdout.trim()}`);
      await runsTwoFrames(onnx);
    });

    // A tiny fused model (RVSR fuse=True: gated detail of the previous output) with uneven gates, exported with the
    // note that its caller aligns the past by one motion per block, as the shipped models do.
    it('exports a fused checkpoint to a graph equal to PyTorch that records its motion and that onnxruntime runs', async () => {
      assert.ok(existsSync(join(dir, 'cache')), 'runs after the training test (its clip cache)');
      const ckpt = join(dir, 'fuse.pt');
      const [macs] = pythonNumbers([
        'import torch',
        'from rvsr import RVSR',
        'torch.manual_seed(11)',
        'm = RVSR(2, width=8, layers=2, state=4, fuse=True)',
        'with torch.no_grad():  # the gates (the last 4 outputs) open unevenly, not all at sigmoid(-2)',
        '    m.convs[-1].weight[8:].normal_(0, 0.3)',
        '    m.convs[-1].bias[8:].normal_(0, 1)',
        `torch.save({"model": m.state_dict(), "config": m.config(), "step": 0, "elapsed": 0.0, "val_header": ["step", "seconds", "rvsr"], "val_rows": [[0, 0.0, 30.0]]}, ${JSON.stringify(ckpt)})`,
        'print(m.macs_per_lr_pixel())',
      ]);
      const onnx = join(dir, 'rvsr-fuse-x2.onnx');
      const motion = ['--motion', 'blocks', '--block', '48', '--refine', 'cubic'];
      const r = spawnSync(PYTHON, [join(TRAINING, 'export_rvsr.py'), ckpt, '--out', onnx, ...motion, ...exportCheck()], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(r.status, 0, r.stderr);
      const diff = Number(/max \|diff\| (\S+)/.exec(r.stdout)?.[1]);
      assert.ok(diff < 1e-4, `ONNX against PyTorch: ${r.stdout.trim()}`);
      const info = JSON.parse(readFileSync(join(dir, 'rvsr-fuse-x2.json'), 'utf8')) as {
        motion?: { estimator?: string };
        architecture: { fuse?: boolean; macsPerLrPixel: number };
      };
      assert.deepEqual(
        motionSearchOf(info.motion, onnx),
        { radius: 3, stride: 2, block: 48, refine: 'cubic', gate: 0.5 },
        'what the pipeline reads from it',
      );
      // The checkpoint does not say which refinement or blocks suit it: --motion without --refine, and blocks
      // without their side, are refused.
      for (const [args, message] of [
        [['--motion', 'global'], /--motion needs --refine cubic or parabola/],
        [['--motion', 'blocks', '--refine', 'cubic'], /--motion blocks needs it/],
      ] as const) {
        const bare = spawnSync(PYTHON, [join(TRAINING, 'export_rvsr.py'), ckpt, '--out', join(dir, 'bare.onnx'), ...args], {
          encoding: 'utf8',
          timeout: 300_000,
        });
        assert.notEqual(bare.status, 0);
        assert.match(bare.stderr, message);
        assert.equal(existsSync(join(dir, 'bare.onnx')), false);
      }
      assert.equal(info.architecture.fuse, true);
      assert.equal(info.architecture.macsPerLrPixel, macs);
      await runsTwoFrames(onnx);
    });
  },
);

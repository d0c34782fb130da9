// The pipeline's motion estimator (src/models/rvsr/global-motion.ts) against the one rvsr was trained with
// (training/motion.py): the same shift on every frame pair of slow pans over held-out photographs (sub-pixel
// motion, degraded as in training) and of real footage, at x2 and x4, with either sub-pixel refinement, and per
// block on the footage and a few pans. A model trained with its past moved by one of them runs on the other, so
// they must agree exactly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { blockShifts, globalShift, type Refinement } from '../src/models/rvsr/global-motion.js';

const PYTHON = process.env.SRVID_PYTHON ?? '/usr/bin/python3';
const TRAINING = new URL('../training/', import.meta.url).pathname;
const SET5 = new URL('../../shared/data/val/Set5', import.meta.url).pathname;
const Y4M = new URL('../../shared/data/video/vtest_768x576_f000-023.y4m', import.meta.url).pathname;
const BLOCK = 16;
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, PIL'], { stdio: 'ignore' }).status === 0;

/**
 * Python writes, per sequence, its LR frames (float32, as the pipeline holds Y/peak) to a raw file and the
 * shifts motion.py estimates with each refinement; the pans' true motion comes too.
 */
const PROGRAM = (dir: string, scale: number): string =>
  [
    'import sys, json',
    `sys.path.insert(0, ${JSON.stringify(TRAINING)})`,
    'import numpy as np',
    'from pathlib import Path',
    'from pans_rvsr import sequences',
    'from data import degrade',
    'from rvsr_data import decode_y',
    'from motion import block_shifts, estimate_shifts',
    `dir, scale = Path(${JSON.stringify(dir)}), ${scale}`,
    'seqs = [(lr, d) for _, _, lr, _, d in sequences(scale, [Path(' + JSON.stringify(SET5) + ')], 192)]',
    // 24 frames of real street footage (a fixed camera, people walking), degraded as the training clips are
    'ys = decode_y(Path(' + JSON.stringify(Y4M) + '))[:24, 100:420, 200:584]',
    'street = np.stack([degrade(y.astype(np.float64), scale).astype(np.uint8) for y in ys]).astype(np.float32) / 255',
    'seqs.append((street, None))',
    'out = []',
    'for i, (lr, d) in enumerate(seqs):',
    '    lr = np.ascontiguousarray(lr, np.float32)',
    '    lr.tofile(dir / f"{i}.f32")',
    '    est = {r: estimate_shifts(lr, scale, refine=r).tolist() for r in ("cubic", "parabola")}',
    // blocks of about 16 LR pixels (motion.block_edges) on the street and the first photo's pans
    `    blocks = [block_shifts(lr[k - 1], lr[k], scale, ${BLOCK}).tolist() for k in range(1, len(lr))] if d is None or i < 5 else None`,
    '    out.append({"shape": list(lr.shape), "estimated": est, "true": None if d is None else d.tolist(), "blocks": blocks})',
    'print(json.dumps(out))',
  ].join('\n');

interface Sequence {
  readonly shape: [number, number, number];
  readonly estimated: Record<Refinement, [number, number][]>;
  readonly true: [number, number][] | null;
  readonly blocks: number[][][][] | null; // per frame pair, rows x columns x [dy, dx]
}

describe(
  "the pipeline's motion estimator matches training's",
  {
    skip:
      (!hasTorch && `needs ${PYTHON} with torch and PIL (apt-get install python3-torch python3-pil)`) ||
      (!existsSync(SET5) && `needs ${SET5}`) ||
      (!existsSync(Y4M) && `needs ${Y4M}`),
  },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvid-motion-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    /** Sequence i's frames as Python wrote them: frame k of its T x H x W floats. */
    const framesOf = (i: number, { shape: [, h, w] }: Sequence): ((k: number) => Float32Array) => {
      const all = new Float32Array(readFileSync(join(dir, `${i}.f32`)).buffer.slice(0));
      return (k) => all.subarray(k * w * h, (k + 1) * w * h);
    };

    for (const scale of [2, 4]) {
      it(`x${scale}: the same shift on every frame pair of pans and of real footage, with either refinement`, () => {
        const r = spawnSync(PYTHON, ['-c', PROGRAM(dir, scale)], { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 26 });
        assert.equal(r.status, 0, r.stderr);
        const seqs = JSON.parse(r.stdout) as Sequence[];
        assert.equal(seqs.length, 5 * 5 + 1, 'Set5 x 5 velocities, and the street');
        const exact: Record<Refinement, number> = { cubic: 0, parabola: 0 };
        for (const refine of ['cubic', 'parabola'] as const) {
          let pairs = 0;
          let moving = 0;
          for (const [i, seq] of seqs.entries()) {
            const [t, h, w] = seq.shape;
            const frame = framesOf(i, seq);
            for (let k = 1; k < t; k++) {
              const got = globalShift(
                frame(k - 1),
                frame(k),
                w,
                h,
                scale,
                refine === 'cubic' ? { radius: 3, stride: 2, refine, gate: 0.5 } : { radius: 3, stride: 2, refine },
              );
              assert.deepEqual(got, seq.estimated[refine][k], `${refine}: sequence ${i}, frames ${k - 1} -> ${k}`);
              pairs++;
              if (got[0] !== 0 || got[1] !== 0) moving++;
              const truth = seq.true?.[k];
              if (truth && truth[0] === got[0] && truth[1] === got[1]) exact[refine]++;
            }
          }
          // Not a comparison of two zeros: the pans move, and the estimate finds their true motion on most pairs.
          assert.equal(pairs, 25 * 29 + 23);
          assert.ok(moving > 500, `${refine}: ${moving} of ${pairs} pairs move`);
        }
        let blocks = 0;
        const moves = new Set<string>();
        for (const [i, seq] of seqs.entries()) {
          if (!seq.blocks) continue;
          const [t, h, w] = seq.shape;
          const frame = framesOf(i, seq);
          for (let k = 1; k < t; k++) {
            const got = blockShifts(
              frame(k - 1),
              frame(k),
              w,
              h,
              scale,
              { radius: 3, stride: 2, refine: 'cubic', gate: 0.5, block: BLOCK },
              BLOCK,
            );
            const want: number[][][] = seq.blocks[k - 1]!;
            assert.deepEqual([...got.shifts], want.flat(2), `blocks: sequence ${i}, frames ${k - 1} -> ${k}`);
            assert.equal(got.rows.length - 1, want.length);
            assert.equal(got.cols.length - 1, want[0]!.length);
            blocks += want.length * want[0]!.length;
            for (const d of want.flat(1)) moves.add(d.join());
          }
        }
        // Every block of the street and of five pans, and not one motion everywhere: people walk in the street.
        assert.ok(blocks > 1500, `${blocks} blocks compared`);
        assert.ok(moves.size > 5, `the blocks' motions: ${[...moves].join(' ')}`);
        const pans = 25 * 29;
        assert.ok(exact.parabola > 0.7 * pans, `parabola: ${exact.parabola} of the pans' ${pans} pairs exact`);
        assert.ok(
          exact.cubic > 0.97 * pans && exact.cubic > exact.parabola,
          `cubic: ${exact.cubic} of the pans' ${pans} pairs exact (parabola ${exact.parabola})`,
        );
      });
    }
  },
);

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spoolReport } from './spool-report.js';

describe('spoolReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'srvid-spool-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the head and every row, in order, as one JSON document, and leaves nothing else', () => {
    const path = join(dir, 'r.json');
    const spool = spoolReport(path);
    // Enough rows to go through the spool file several times (64 kB a write).
    const rows = Array.from({ length: 5000 }, (_, index) => ({ type: 'frame', index, note: 'x'.repeat(40) }));
    for (const r of rows) spool.add(r);
    spool.commit({ v: 1, run: { input: 'a [] b' }, summary: { frames: 5000 } });
    spool.discard();
    const report = JSON.parse(readFileSync(path, 'utf8')) as { v: number; run: unknown; summary: unknown; frames: unknown[] };
    assert.deepEqual(report, { v: 1, run: { input: 'a [] b' }, summary: { frames: 5000 }, frames: rows });
    assert.deepEqual(readdirSync(dir), ['r.json']);
  });

  it('an empty report has an empty frames array; discard leaves no file', () => {
    const empty = join(dir, 'empty.json');
    const s = spoolReport(empty);
    s.commit({ v: 1 });
    assert.deepEqual(JSON.parse(readFileSync(empty, 'utf8')), { v: 1, frames: [] });
    const gone = join(dir, 'gone.json');
    const d = spoolReport(gone);
    for (let i = 0; i < 3000; i++) d.add({ i });
    d.discard();
    assert.equal(existsSync(gone), false);
    assert.deepEqual(readdirSync(dir).sort(), ['empty.json', 'r.json']);
  });
});

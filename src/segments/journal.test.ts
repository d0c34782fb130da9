import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkJournal, inputKey, keyDifferences, markDone, readJournal, writeJournal, type Journal } from './journal.js';

const dir = mkdtempSync(join(tmpdir(), 'srvid-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS = { scale: 2, model: 'espcn-x2', crf: 18, codec: 'libx264' };

describe('the journal', () => {
  it('keys the input by size, head hash and mtime', () => {
    const path = join(dir, 'in.bin');
    writeFileSync(path, Buffer.alloc(3 << 20, 7));
    const key = inputKey(path);
    assert.equal(key.size, 3 << 20);
    assert.match(key.headSha256, /^[0-9a-f]{64}$/);
    utimesSync(path, new Date(0), new Date(1000));
    assert.deepEqual(keyDifferences({ input: key, options: OPTIONS }, inputKey(path), OPTIONS), ["the input's modification time"]);
    writeFileSync(path, Buffer.alloc(3 << 20, 8));
    assert.deepEqual(keyDifferences({ input: key, options: OPTIONS }, inputKey(path), OPTIONS), ["the input's first MiB"]);
  });

  it('names every option that differs, and refuses the journal', () => {
    const input = { size: 1, mtimeMs: 2, headSha256: 'ab' };
    const journal: Journal = { version: 1, input, options: OPTIONS, segments: null };
    assert.deepEqual(keyDifferences(journal, input, { ...OPTIONS, crf: 20, tile: 9 }), [
      'crf (18 then, 20 now)',
      'tile (null then, 9 now)',
    ]);
    assert.throws(
      () => checkJournal('/out.mp4.srvid', journal, { ...input, size: 5 }, OPTIONS),
      /\/out\.mp4\.srvid holds a job for another input or other options: the input's size \(1 bytes then, 5 now\) differ; .*remove \/out\.mp4\.srvid to start over/,
    );
    assert.doesNotThrow(() => checkJournal('/x', journal, input, OPTIONS));
  });

  it('is written atomically and read back; a foreign file is refused', () => {
    const journal: Journal = {
      version: 1,
      input: { size: 1, mtimeMs: 2, headSha256: 'ab' },
      options: OPTIONS,
      segments: [{ index: 0, source: 'cut/src-00000.mkv', output: 'up-00000.mkv', startSec: 0, endSec: 1, frames: 25, done: false }],
    };
    writeJournal(dir, markDone(journal, 0));
    assert.equal(readJournal(dir)?.segments?.[0]?.done, true);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.includes('.partial')),
      [],
    );
    assert.equal(readJournal(join(dir, 'missing')), null);
    writeFileSync(join(dir, 'journal.json'), '{"hello": 1}');
    assert.throws(() => readJournal(dir), /is not a srvid journal/);
  });
});

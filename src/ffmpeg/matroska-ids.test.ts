import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ID } from './matroska-ids.js';

describe('Matroska element IDs', () => {
  it('are well-formed EBML IDs: the first byte marks the length, and no two names share one', () => {
    for (const [name, id] of Object.entries(ID)) {
      const bytes = id.toString(16).length / 2;
      assert.ok(Number.isInteger(bytes) && bytes >= 1 && bytes <= 4, `${name}: ${id.toString(16)}`);
      const first = Math.floor(id / 256 ** (bytes - 1));
      assert.equal(Math.clz32(first) - 24, bytes - 1, `${name}: the marker of 0x${id.toString(16)} does not say ${bytes} bytes`);
    }
    assert.equal(new Set(Object.values(ID)).size, Object.keys(ID).length);
  });
});

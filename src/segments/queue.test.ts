import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeQueue, parseQueueUrl } from './queue.js';

describe('queue addresses', () => {
  it('reads redis:// and rediss:// URLs as BullMQ connection options', () => {
    assert.deepEqual(parseQueueUrl('redis://10.0.0.5:6380'), { host: '10.0.0.5', port: 6380, maxRetriesPerRequest: null });
    assert.deepEqual(parseQueueUrl('rediss://user:p%40ss@queue.example:6390/2'), {
      host: 'queue.example',
      port: 6390,
      username: 'user',
      password: 'p@ss',
      db: 2,
      tls: { servername: 'queue.example' },
      maxRetriesPerRequest: null,
    });
    assert.equal(parseQueueUrl('redis://[::1]').host, '::1');
    assert.equal(parseQueueUrl('redis://host').port, 6379);
    // An address has no name to send (SNI): the certificate is checked against the IP address itself.
    assert.deepEqual((parseQueueUrl('rediss://127.0.0.1:6390') as { tls?: unknown }).tls, {});
  });

  it('refuses anything else with the form it takes', () => {
    assert.throws(() => parseQueueUrl('http://x:1'), /--queue takes redis:\/\/HOST:PORT or rediss:\/\/HOST:PORT/);
    assert.throws(() => parseQueueUrl('localhost:6379'), /--queue takes/);
    assert.throws(() => parseQueueUrl('redis://h:1/abc'), /not a Redis database number/);
  });

  it('never shows a password', () => {
    assert.equal(describeQueue('rediss://user:secret@h:1'), 'rediss://***@h:1');
  });
});

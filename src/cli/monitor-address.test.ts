import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMonitorAddress } from './options.js';

describe('parseMonitorAddress', () => {
  it('defaults the host to 127.0.0.1 and accepts names, IPv4 and bracketed IPv6', () => {
    assert.deepEqual(parseMonitorAddress('8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseMonitorAddress('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
    assert.deepEqual(parseMonitorAddress('localhost:9000'), { host: 'localhost', port: 9000 });
    assert.deepEqual(parseMonitorAddress('[::1]:8080'), { host: '::1', port: 8080 });
  });
  it('refuses what is not [host:]port', () => {
    for (const bad of ['', 'host', ':80', '80:host', '99999', '::1:80'])
      assert.throws(() => parseMonitorAddress(bad), /takes \[host:\]port/, bad);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostOfHeader, isLoopback, parseTarget, refusalWithoutToken, tokenMatches } from './request-guard.js';

describe('request guard', () => {
  it('parses any request target without throwing; what is not a URL is null', () => {
    assert.equal(parseTarget('/dashboard.js')?.pathname, '/dashboard.js');
    assert.equal(parseTarget('/%2e%2e/package.json')?.pathname, '/package.json');
    assert.equal(parseTarget('http://x/../../etc/passwd')?.pathname, '/etc/passwd');
    assert.equal(parseTarget('/\\..\\package.json')?.pathname, '/package.json');
    assert.equal(parseTarget('http://a:b@c:99999/'), null); // new URL throws on it: this once crashed the run
    assert.equal(parseTarget('http://['), null);
    assert.equal(parseTarget(undefined), null);
    assert.equal(parseTarget(`/${'a'.repeat(9000)}`), null);
  });

  it('compares tokens in full: wrong, shorter, longer, missing and empty are refused', () => {
    const url = (q: string): URL => new URL(`http://m/${q}`);
    assert.ok(tokenMatches(undefined, url('')));
    assert.ok(tokenMatches('s3cret', url('?token=s3cret')));
    for (const q of ['', '?token=', '?token=s3cre', '?token=s3cret1', '?token=S3CRET', '?tok=s3cret']) {
      assert.ok(!tokenMatches('s3cret', url(q)), q);
    }
  });

  it('knows loopback: 127.0.0.0/8, ::1, its mapped and long forms, localhost; nothing else', () => {
    for (const h of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
      'LOCALHOST',
      'a.localhost',
    ]) {
      assert.ok(isLoopback(h), h);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'example.com', '128.0.0.1', 'localhost.example.com']) {
      assert.ok(!isLoopback(h), h);
    }
  });

  it('reads the host of a Host header, and refuses malformed ones', () => {
    assert.equal(hostOfHeader('127.0.0.1:8080'), '127.0.0.1');
    assert.equal(hostOfHeader('[::1]:8080'), '[::1]');
    assert.equal(hostOfHeader('localhost'), 'localhost');
    for (const bad of [undefined, '', 'a b', 'x/y', '[::1', 'host:port']) assert.equal(hostOfHeader(bad), null, String(bad));
  });

  it('without a token: loopback Host only (on a loopback bind), and no page of another origin', () => {
    const ok = { host: '127.0.0.1:8080' };
    assert.equal(refusalWithoutToken(ok, true), null);
    assert.equal(refusalWithoutToken({ host: 'localhost:8080', origin: 'http://localhost:8080' }, true), null);
    assert.match(refusalWithoutToken({ host: 'evil.example:8080' }, true)!, /loopback/);
    assert.match(refusalWithoutToken({}, true)!, /loopback/);
    assert.equal(refusalWithoutToken({ host: 'box.lan:8080' }, false), null);
    assert.match(refusalWithoutToken({ host: '127.0.0.1:8080', origin: 'http://evil.example' }, true)!, /another site/);
    assert.match(refusalWithoutToken({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9999' }, true)!, /another site/);
    assert.match(refusalWithoutToken({ host: '127.0.0.1:8080', origin: 'null' }, true)!, /another site/);
    assert.match(refusalWithoutToken({ host: 'box.lan:8080', origin: 'http://evil.example' }, false)!, /another site/);
  });
});

/**
 * What the monitor checks on every request before it serves anything, as pure functions: the request target
 * (parsed without ever throwing), the token (constant time), and, for a monitor without a token, that the
 * request comes from this machine's browser and not from another site (DNS rebinding, cross-site WebSocket).
 */
import { timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** The path and query of a request target (origin- or absolute-form), or null when it is not a URL. Never throws. */
export const parseTarget = (target: string | undefined): URL | null => {
  if (!target || target.length > 8192) return null;
  try {
    return new URL(target, 'http://monitor');
  } catch {
    return null;
  }
};

/** The token given as `?token=`, compared in constant time with the expected one (any token when none is set). */
export const tokenMatches = (expected: string | undefined, url: URL): boolean => {
  if (expected === undefined) return true;
  const given = Buffer.from(url.searchParams.get('token') ?? '');
  const want = Buffer.from(expected);
  // Lengths differ: still compare something of the same length, so the time does not depend on the token.
  return timingSafeEqual(given.length === want.length ? given : want, want) && given.length === want.length;
};

/** 127.0.0.0/8, ::1 (and 127.x mapped into IPv6) or `localhost`: reachable from this machine only. */
export const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) return h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
};

/** The host name of a Host header (`127.0.0.1:8080`, `[::1]:8080`, `localhost`), or null if malformed. */
export const hostOfHeader = (header: string | undefined): string | null => {
  if (!header) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+)(?::\d{1,5})?$/.exec(header.trim());
  return m ? (m[1] as string) : null;
};

/**
 * May a request with these headers be served by a monitor that has no token? When the monitor listens on
 * loopback only, the Host header must name loopback too (a page of another site that re-points its name at
 * 127.0.0.1 sends its own name); and a browser's Origin, when given, must be this very host and port (a page
 * of another site may open a WebSocket to 127.0.0.1, and would then read the run). With a token, both are
 * the token's job. Returns why not, or null.
 */
export const refusalWithoutToken = (
  headers: { host?: string | undefined; origin?: string | undefined },
  loopbackOnly: boolean,
): string | null => {
  const host = hostOfHeader(headers.host);
  if (loopbackOnly && (host === null || !isLoopback(host))) {
    return 'this monitor listens on loopback and has no token: open it as http://127.0.0.1:PORT/ or http://localhost:PORT/';
  }
  if (headers.origin !== undefined && headers.origin !== 'null') {
    let origin: URL | null = null;
    try {
      origin = new URL(headers.origin);
    } catch {
      origin = null;
    }
    if (!origin || origin.host.toLowerCase() !== (headers.host ?? '').trim().toLowerCase()) {
      return 'a page of another site may not read this monitor (its Origin is not this host); give the monitor a token to share it';
    }
  } else if (headers.origin === 'null') {
    return 'a page of another site may not read this monitor (Origin: null); give the monitor a token to share it';
  }
  return null;
};

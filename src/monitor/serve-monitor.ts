/**
 * The monitor: one HTTP server for the dashboard page and its WebSocket (`/ws`) on the same port. Every
 * client gets the hello, the recent history, the latest preview and (segmented runs) the latest workers
 * message when it joins, then each message as it is published, through its own bounded queue
 * (client-queue.ts): a slow client loses its oldest messages, never slows the run. With a token, the page
 * and the socket both require `?token=…`.
 *
 * Safe to expose: only the five files of the page are ever served (a fixed map, whatever the path says); a
 * request target that is not a URL gets 400; at most `maxClients` WebSockets at once (more get 503); a client
 * message over 4 kB closes that client (1009) and a client that sends more than a few a second is closed
 * (1008); without a token, only this machine's own pages get in (request-guard.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
// ws is loaded when a monitor starts (an import costs ~0.1 s of every run's start).
import type { WebSocket, WebSocketServer } from 'ws';
import { ClientQueue } from './client-queue.js';
import { SCHEMA_VERSION, type MonitorMessage } from './messages.js';
import { isLoopback, parseTarget, refusalWithoutToken, tokenMatches } from './request-guard.js';

export interface MonitorOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly token?: string;
  /** Frame messages kept for clients that join late (default 1000). */
  readonly history?: number;
  /** Interval messages (one a second) kept for clients that join late (default 3600: the last hour). */
  readonly intervals?: number;
  /** Messages, and characters, waiting per client before the oldest is dropped (default history + intervals + 16, 4 MB). */
  readonly clientBuffer?: number;
  readonly clientBufferBytes?: number;
  /** WebSocket clients at once (default 1000); the next one is refused with HTTP 503. */
  readonly maxClients?: number;
  /** A client asked for a preview of the next frame. */
  readonly onPreviewRequest?: () => void;
}

export interface MonitorServer {
  /** The dashboard's address, with the token when there is one. */
  readonly url: string;
  /** The address the server is bound to (e.g. 127.0.0.1, ::, 0.0.0.0) and its port. */
  readonly address: { readonly host: string; readonly port: number };
  readonly clients: number;
  /** Characters waiting in all client queues together (each queue holds at most `clientBufferBytes`). */
  readonly queuedBytes: number;
  publish(message: MonitorMessage): void;
  /** Resolves when a client is connected (at once if one is); rejects on abort. */
  waitForClient(signal?: AbortSignal): Promise<void>;
  /** Waits up to `graceMs` for clients to receive what is queued, then closes everything. */
  close(graceMs?: number): Promise<void>;
}

/** Default cap on WebSocket clients at once. */
export const MAX_CLIENTS = 1000;
/** Largest message a client may send (it only ever sends `{"type":"preview-request"}`). */
export const MAX_CLIENT_MESSAGE = 4096;
/** Messages a client may send in one second before it is closed. */
const CLIENT_MESSAGES_PER_SECOND = 20;

const require = createRequire(import.meta.url);
const PAGE = new URL('./page/', import.meta.url);
const ASSETS: Record<string, { file: URL | string; type: string }> = {
  '/': { file: new URL('index.html', PAGE), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: new URL('dashboard.js', PAGE), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: new URL('dashboard.css', PAGE), type: 'text/css; charset=utf-8' },
  '/uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};
const assetCache = new Map<string, Buffer>();
const HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** Answers a WebSocket handshake with an HTTP error and a one-line text body saying why, then closes. */
const refuseUpgrade = (socket: Duplex, status: number, why: string): void => {
  const body = `${why}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads the answer does not keep the socket.
  setTimeout(() => socket.destroy(), 2000).unref();
};

/** The last `size` strings pushed, oldest first; a fixed array, so a push never moves the others. */
const createRing = (size: number) => {
  const slots: string[] = [];
  let next = 0;
  return {
    push: (s: string): void => {
      if (size <= 0) return;
      if (slots.length < size) slots.push(s);
      else slots[next] = s;
      next = (next + 1) % size;
    },
    items: (): string[] => (slots.length < size ? [...slots] : [...slots.slice(next), ...slots.slice(0, next)]),
  };
};

/** What a client that joins late is sent first: the hello, both histories, the latest preview, workers and summary. */
const createReplay = (historySize: number, intervalsSize: number) => {
  const latest = new Map<'hello' | 'preview' | 'workers' | 'summary', string>();
  // Both bounded, whatever the run's length: a live run may never end.
  const history = createRing(historySize);
  const intervals = createRing(intervalsSize);
  return {
    record: (m: MonitorMessage, data: string): void => {
      if (m.type === 'frame') history.push(data);
      else if (m.type === 'interval') intervals.push(data);
      else if (m.type === 'hello' || m.type === 'preview' || m.type === 'workers' || m.type === 'summary') latest.set(m.type, data);
    },
    items: (): string[] =>
      [
        latest.get('hello'),
        ...intervals.items(),
        ...history.items(),
        latest.get('preview'),
        latest.get('workers'),
        latest.get('summary'),
      ].filter((x): x is string => x !== undefined),
  };
};

/** Who may be served: the token first (it is the gate), then, without one, only this machine's own pages. */
const createGate = (token: string | undefined) => {
  // Set once listening: whether the bound address is loopback (then Host must name loopback, without a token).
  let loopbackOnly = true;
  return {
    bound: (host: string): void => void (loopbackOnly = isLoopback(host)),
    /** Why this request may not be served (status and a line of text), or null. */
    refusal: (req: IncomingMessage, url: URL, needsToken: boolean): [number, string] | null => {
      if (needsToken && !tokenMatches(token, url)) return [401, 'this monitor needs ?token=… (the one given with --monitor-token)'];
      if (token !== undefined) return null;
      const why = refusalWithoutToken({ host: req.headers.host, origin: req.headers.origin }, loopbackOnly);
      return why ? [403, why] : null;
    },
  };
};
type Gate = ReturnType<typeof createGate>;

/** The page's five files, from the fixed map only: no path is ever joined to a folder, so no path can leave the page. */
const serveAsset =
  (gate: Gate) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    const text = (status: number, body: string): void =>
      void res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...HEADERS }).end(`${body}\n`);
    const url = parseTarget(req.url);
    if (!url) return text(400, 'bad request target');
    const asset = Object.hasOwn(ASSETS, url.pathname) ? ASSETS[url.pathname] : undefined;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !asset) return text(404, 'not found');
    const refused = gate.refusal(req, url, url.pathname === '/');
    if (refused) return text(...refused);
    // Read once: a flood of page requests costs no disk reads on the run's thread.
    let body = assetCache.get(url.pathname);
    if (!body) assetCache.set(url.pathname, (body = readFileSync(asset.file)));
    res.writeHead(200, { 'content-type': asset.type, 'content-length': body.length, 'cache-control': 'no-store', ...HEADERS });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

/** Why a WebSocket handshake is refused (status and a line of text), or null to accept it. */
const upgradeRefusal = (
  req: IncomingMessage,
  gate: Gate,
  state: { closing: boolean; clients: number; maxClients: number },
): [number, string] | null => {
  const url = parseTarget(req.url);
  if (!url) return [400, 'bad request target'];
  if (url.pathname !== '/ws') return [404, 'not found: the WebSocket is at /ws'];
  const refused = gate.refusal(req, url, true);
  if (refused) return refused;
  if (state.closing) return [503, 'the run is over and this monitor is closing'];
  if (state.clients >= state.maxClients) {
    return [503, `this monitor already has ${state.clients} clients, its limit; try again when one leaves`];
  }
  return null;
};

/** A client's only message is a preview request; more than a few a second closes it. */
const listenToClient = (ws: WebSocket, onPreviewRequest: (() => void) | undefined): void => {
  let windowStart = performance.now();
  let received = 0;
  ws.on('message', (raw) => {
    const now = performance.now();
    if (now - windowStart > 1000) [windowStart, received] = [now, 0];
    if (++received > CLIENT_MESSAGES_PER_SECOND) return void ws.close(1008, 'too many messages');
    try {
      if ((JSON.parse(String(raw)) as { type?: string } | null)?.type === 'preview-request') onPreviewRequest?.();
    } catch {
      // not JSON: ignored, clients only ever ask for previews
    }
  });
};

const listen = async (http: ReturnType<typeof createServer>, o: MonitorOptions): Promise<{ host: string; port: number; url: string }> => {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => resolve());
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const host = typeof address === 'object' && address ? address.address : o.host;
  const hostPart = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${hostPart}:${port}/${o.token !== undefined ? `?token=${encodeURIComponent(o.token)}` : ''}`;
  return { host, port, url };
};

export const serveMonitor = async (o: MonitorOptions): Promise<MonitorServer> => {
  const historySize = o.history ?? 1000;
  const intervalsSize = o.intervals ?? 3600;
  // A client that joins late gets both histories at once: its queue must hold them.
  const capacity = o.clientBuffer ?? historySize + intervalsSize + 16;
  const replay = createReplay(historySize, intervalsSize);
  const queues = new Map<WebSocket, ClientQueue>();
  const joinWaiters = new Set<() => void>();
  const dropNotice = (count: number): string => JSON.stringify({ type: 'dropped', v: SCHEMA_VERSION, count });
  const maxClients = o.maxClients ?? MAX_CLIENTS;
  const gate = createGate(o.token);
  let closing: Promise<void> | null = null;

  const http = createServer({ requestTimeout: 10_000, headersTimeout: 10_000 }, serveAsset(gate));
  // A hard bound on sockets of every kind (each WebSocket is one): beyond it, new connections are closed at once.
  http.maxConnections = maxClients + 100;
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE, perMessageDeflate: false });
  const join = (ws: WebSocket): void => {
    const queue = new ClientQueue((data, done) => ws.send(data, done), capacity, dropNotice, o.clientBufferBytes ?? 4 * 1024 * 1024);
    queues.set(ws, queue);
    ws.on('close', () => (queue.close(), queues.delete(ws)));
    // ws has already sent the close code (1009 for a message over maxPayload); the socket goes soon after.
    ws.on('error', () => void setTimeout(() => ws.terminate(), 1000).unref());
    listenToClient(ws, o.onPreviewRequest);
    for (const m of replay.items()) queue.push(m);
    for (const w of joinWaiters) w();
  };
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removes its own error handler from an upgraded socket: without this, a reset would end the run.
    socket.on('error', () => socket.destroy());
    const refused = upgradeRefusal(req, gate, { closing: closing !== null, clients: queues.size, maxClients });
    if (refused) return refuseUpgrade(socket, ...refused);
    wss.handleUpgrade(req, socket, head, join);
  });
  const { host, port, url } = await listen(http, o);
  gate.bound(host);

  return {
    url,
    address: { host, port },
    get clients() {
      return queues.size;
    },
    get queuedBytes() {
      let n = 0;
      for (const q of queues.values()) n += q.bytes;
      return n;
    },
    publish: (m) => {
      const data = JSON.stringify(m);
      replay.record(m, data);
      for (const q of queues.values()) q.push(data);
    },
    waitForClient: (signal) => waitForClient(queues, joinWaiters, signal),
    close: (graceMs = 2000) => (closing ??= shutDown(queues, wss, http, graceMs)),
  };
};

const waitForClient = (queues: Map<WebSocket, ClientQueue>, joinWaiters: Set<() => void>, signal?: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    if (queues.size) return resolve();
    const done = (): void => {
      joinWaiters.delete(done);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => {
      joinWaiters.delete(done);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    joinWaiters.add(done);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Gives clients up to `graceMs` to receive what is queued, then closes every socket and the server. */
const shutDown = async (
  queues: Map<WebSocket, ClientQueue>,
  wss: WebSocketServer,
  http: ReturnType<typeof createServer>,
  graceMs: number,
): Promise<void> => {
  const deadline = performance.now() + graceMs;
  while (performance.now() < deadline && [...queues.values()].some((q) => q.pending > 0)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const ws of queues.keys()) ws.close(1001, 'run over');
  await new Promise((r) => setTimeout(r, 50)); // let close frames go out
  for (const ws of wss.clients) ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
};

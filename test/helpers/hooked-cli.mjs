// The built `srvid` command with run hooks, for the tests that must reach what cannot be timed from outside.
// The SRVID_TEST_* variables a test sets are read here, in the tests, and become the hooks the library takes
// (RunHooks in src/api/run-options.ts); srvid itself reads none of them.
//   SRVID_TEST_HOLD=load|flush|done  hold the run at that stage until it is stopped (a signal)
//   SRVID_TEST_HOLD_JOIN=1           hold a segmented run before its joined file is renamed into place
//   SRVID_TEST_SLOW_MODEL_MS=N       every network call takes N ms longer
//   SRVID_TEST_FAIL_SEGMENTS=1       srvid worker: every try of every segment fails
//   SRVID_TEST_WORKER_FAULT=throw|exit  an upscale worker thread throws, or exits, on frame 3
import { main } from '../../dist/cli/run-cli.js';

const env = process.env;
const say = (line) => process.stderr.write(`srvid: warning: ${line}\n`);

/** Holds until the run is stopped; a pending promise alone does not keep Node running, so a timer does. */
const holdUntilStopped = (signal) =>
  new Promise((resolve) => {
    if (!signal || signal.aborted) return resolve();
    const keepAlive = setInterval(() => {}, 60_000);
    signal.addEventListener('abort', () => (clearInterval(keepAlive), resolve()), { once: true });
  });

const at = async (stage, signal) => {
  if (stage === 'join' && env.SRVID_TEST_HOLD_JOIN === '1') {
    say('test hold: the join waits before the rename (SRVID_TEST_HOLD_JOIN)');
    return new Promise((resolve) => setTimeout(resolve, 60_000));
  }
  if (env.SRVID_TEST_HOLD !== stage || !signal || signal.aborted) return;
  say(`test hold: the run waits at "${stage}" until it is stopped (SRVID_TEST_HOLD)`);
  await holdUntilStopped(signal);
};

const slowMs = Number(env.SRVID_TEST_SLOW_MODEL_MS ?? 0);
const wrapUpscaler = (u) =>
  slowMs > 0
    ? { ...u, upscale: async (f) => (await new Promise((r) => setTimeout(r, slowMs)), u.upscale(f)), dispose: () => u.dispose() }
    : u;

const beforeSegment = (index) => {
  if (env.SRVID_TEST_FAIL_SEGMENTS) throw new Error(`segment ${index}: failing on purpose (SRVID_TEST_FAIL_SEGMENTS)`);
};

const fault = env.SRVID_TEST_WORKER_FAULT;
await main(process.argv.slice(2), {
  at,
  wrapUpscaler,
  beforeSegment,
  ...(fault === 'throw' || fault === 'exit' ? { workerFault: fault } : {}),
});

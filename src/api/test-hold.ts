/**
 * A test-only hook: SRVID_TEST_HOLD=<stage> holds a video run at that stage until it is stopped, so that the
 * fault matrix can send SIGINT or SIGTERM at a known stage without guessing how long a stage takes. The hold
 * announces itself as a warning, which the test waits for. Unset (or another stage), it does nothing.
 *
 * - `load`: the model has loaded in its threads, and the load has not yet returned (a slow load);
 * - `flush`: every frame has reached the encoder and its stdin is closed; ffmpeg finishes the file while the
 *   run holds, and the output has not been moved into place;
 * - `done`: the output is in place and the run is about to return its result.
 */
export type HoldStage = 'load' | 'flush' | 'done';

export const holdForTests = async (stage: HoldStage, signal?: AbortSignal, say?: (message: string) => void): Promise<void> => {
  if (process.env.SRVID_TEST_HOLD !== stage || !signal || signal.aborted) return;
  say?.(`test hold: the run waits at "${stage}" until it is stopped (SRVID_TEST_HOLD)`);
  await new Promise<void>((resolve) => {
    // A pending promise alone does not keep Node running; the timer does, until the abort.
    const keepAlive = setInterval(() => {}, 60_000);
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(keepAlive);
        resolve();
      },
      { once: true },
    );
  });
};

/** Wall-clock time at simulated t = 0, unix seconds (2026-01-01): simulated boards know the time. */
export const SIM_EPOCH_SECONDS = 1767225600;

/**
 * Which of our recent messages a neighbor's HELLO can show it missed (docs/protocol.md §Repair).
 *
 * A HELLO lists the keys of the messages its sender received within its recent window, the last
 * RECENT_LIST_INTERVALS beacon intervals. A receiver judges only the messages it got well inside
 * that window: at least REPAIR_MARGIN_MS before the HELLO (the message was in flight to the
 * neighbor meanwhile), and at least one of the neighbor's beacon intervals plus REPAIR_MARGIN_MS
 * after the window opened. A neighbor may have got a message seconds before us: our copy may have
 * come the long way round, a relay delay (a fallback relay's wait too) at each hop. In the relay
 * bench at 30 % loss (measured with relays that waited up to 2 s a hop over poor links), with a
 * window of two intervals judged from its first second on, a fifth of the neighbors that repairs
 * were sent to had got the message before the window opened (a median 2.7 s, 90th percentile 5 s,
 * before us), so their HELLOs could not list it; with this rule 0.2 to 0.4 %. The window's first
 * interval is listed for that alone.
 */

/** Beacon intervals back that a HELLO lists the keys of recent messages for. */
export const RECENT_LIST_INTERVALS = 3;
/** A message is judged only if we got it at least this long before the HELLO, and this long after the window's first interval. */
export const REPAIR_MARGIN_MS = 1000;

/** Messages received after this time go into the HELLO sent at `now`. */
export function listedSince(now: number, beaconIntervalMs: number): number {
  return now - RECENT_LIST_INTERVALS * beaconIntervalMs;
}

/**
 * The receive times, (from, to], of our messages that a HELLO heard at `now`, listing a window of
 * `recentWindowMs` from a neighbor beaconing every `intervalMs`, shows missed when it lacks them.
 * A window the key cap cut short (a busy mesh) is judged over the interval before `to` if it is that
 * long, else from just after its opening: with the window's first interval left out as well, a
 * window cut to 7.7 s (1,000 nodes each publishing once a minute) was judged over 0.7 s of every 5 s
 * between HELLOs, so most gaps were never repaired: broadcast delivery 99.18 % in a 2-minute scale
 * run (`scaleprof.mjs`), 99.67 % with this (main: 99.66 %). Empty (from ≥ to) when the window is
 * shorter than both margins.
 */
export function judgedFrom(now: number, recentWindowMs: number, intervalMs: number): number {
  const opened = now - recentWindowMs;
  return Math.max(opened + REPAIR_MARGIN_MS, Math.min(opened + intervalMs + REPAIR_MARGIN_MS, judgedTo(now) - intervalMs));
}

/**
 * The start of the span for our own messages: the window's opening. No neighbor got one before we
 * sent it, so one sent inside the window and not listed was missed. An origin with one neighbor
 * that lost the first copy otherwise had one HELLO to show it (the next, 30 % of them lost at
 * 30 % loss) and the message then reached nobody: in the relay bench at 200 nodes, 30 % loss,
 * seed 4, a source of degree 1 delivered 0 %.
 */
export function ownJudgedFrom(now: number, recentWindowMs: number): number {
  return now - recentWindowMs;
}

/**
 * For a message the same neighbor was already shown missing (or we repaired it since): judged again
 * while that evidence is later than this. If the neighbor had got the message since, its HELLO would
 * list it: its window, or one beacon interval and two margins where the key cap cut its window shorter
 * (the last HELLO's evidence is about one interval old; jitter, the margins). Otherwise a message is
 * judged by at most one HELLO per neighbor, and a lost repair, no token to spare at that moment or a
 * full relay queue left the gap for good: in the 1,000-node scale run, whole
 * broadcasts from a sparse cluster (which reaches the mesh through one node) reached 1 % of the mesh.
 */
export function missingJudgedFrom(now: number, recentWindowMs: number, intervalMs: number): number {
  return now - Math.max(recentWindowMs, intervalMs + 2 * REPAIR_MARGIN_MS);
}

/** Misses shown before this are judged again for no neighbor: longer ago than any window it lists. */
export function missingForgottenBefore(now: number, intervalMs: number): number {
  return now - RECENT_LIST_INTERVALS * intervalMs - 2 * REPAIR_MARGIN_MS;
}

/** The end of every span above: see judgedFrom. */
export function judgedTo(now: number): number {
  return now - REPAIR_MARGIN_MS;
}

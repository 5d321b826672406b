/**
 * Process warnings that are known, harmless and not ours to fix, kept off stderr so that a real warning stands
 * out (the tests assert that a clean run writes nothing to stderr).
 *
 * - `TimeoutNegativeWarning`: kafkajs 2.2.4 schedules its request-queue check with a negative delay once per
 *   connection (kafkajs issue 1751, unfixed upstream). Node clamps it to 1 ms, as Node 20 did silently; Node 22+
 *   also prints a warning. Behaviour is the same either way.
 *
 * Every other warning is printed as Node would print it.
 */
const KNOWN = new Set(['TimeoutNegativeWarning']);

export function silenceKnownWarnings(): void {
  // Node prints warnings through its own 'warning' listener; replace it with one that skips the known ones.
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (KNOWN.has(warning.name)) return;
    for (const print of printers) print(warning);
  });
}

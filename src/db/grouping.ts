/**
 * Natural batching, as a database's group commit does it: the first item is sent at once, alone; items that
 * arrive while `inFlight` groups are in flight wait, and go together as the next group when one has
 * answered. Idle, an item waits for nothing; busy, one round trip serves many items. At most `max` items per
 * group, and with `keyOf` at most one item per key in flight (a later one waits for a later group, sent after
 * the group with the earlier one answered).
 */
export interface Grouping<T> {
  add(item: T): void;
}

export interface GroupingOptions<T> {
  max: number;
  /** Groups sent and not yet answered at a time (default 1). */
  inFlight?: number;
  keyOf?: (item: T) => string;
  /** Sends one group and settles its items; resolves when the next group may go. */
  send(group: T[]): Promise<void>;
  /** Settles an item of a group whose `send` threw. */
  fail(item: T, error: unknown): void;
}

export function createGrouping<T>(options: GroupingOptions<T>): Grouping<T> {
  const { max, keyOf, send, fail } = options;
  const maxInFlight = Math.max(1, options.inFlight ?? 1);
  const queue: T[] = [];
  let inFlight = 0;
  /** Keys of the items in flight. */
  const busy = new Set<string>();

  /** Up to `max` waiting items with distinct keys none in flight, in arrival order. */
  function take(): T[] {
    if (!keyOf) return queue.splice(0, max);
    const group: T[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < queue.length && group.length < max;) {
      const key = keyOf(queue[i]!);
      if (keys.has(key) || busy.has(key)) {
        i++;
        continue;
      }
      keys.add(key);
      group.push(queue.splice(i, 1)[0]!);
    }
    return group;
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const group = take();
      if (group.length === 0) return; // every waiting item's key is in flight
      sendGroup(group);
    }
  }

  function sendGroup(group: T[]): void {
    inFlight++;
    const keys = keyOf ? group.map(keyOf) : [];
    for (const key of keys) busy.add(key);
    void send(group)
      .catch((error: unknown) => {
        for (const item of group) fail(item, error);
      })
      .finally(() => {
        inFlight--;
        for (const key of keys) busy.delete(key);
        pump();
      });
  }

  return {
    add(item) {
      queue.push(item);
      pump();
    },
  };
}

/**
 * Natural batching, as a database's group commit does it: the first item is sent at once, alone; items that
 * arrive while a group is in flight wait, and go together as the next group when it has answered. Idle, an
 * item waits for nothing; busy, one round trip serves many items. At most `max` items per group, and with
 * `keyOf` at most one item per key (a later one waits for a later group).
 */
export interface Grouping<T> {
  add(item: T): void;
}

export interface GroupingOptions<T> {
  max: number;
  keyOf?: (item: T) => string;
  /** Sends one group and settles its items; resolves when the next group may go. */
  send(group: T[]): Promise<void>;
  /** Settles an item of a group whose `send` threw. */
  fail(item: T, error: unknown): void;
}

export function createGrouping<T>(options: GroupingOptions<T>): Grouping<T> {
  const { max, keyOf, send, fail } = options;
  const queue: T[] = [];
  let inFlight = false;

  /** Up to `max` waiting items with distinct keys, in arrival order. */
  function take(): T[] {
    if (!keyOf) return queue.splice(0, max);
    const group: T[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < queue.length && group.length < max;) {
      const key = keyOf(queue[i]!);
      if (keys.has(key)) {
        i++;
        continue;
      }
      keys.add(key);
      group.push(queue.splice(i, 1)[0]!);
    }
    return group;
  }

  function pump(): void {
    if (inFlight || queue.length === 0) return;
    const group = take();
    inFlight = true;
    void send(group)
      .catch((error: unknown) => {
        for (const item of group) fail(item, error);
      })
      .finally(() => {
        inFlight = false;
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

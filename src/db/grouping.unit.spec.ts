import { createGrouping } from './grouping';

/** A grouping whose sends the test answers by hand, recording every group sent. */
function manual(options: { max: number; keyed?: boolean; inFlight?: number }) {
  const sent: string[][] = [];
  const failed: Array<[string, unknown]> = [];
  const answers: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  const grouping = createGrouping<string>({
    max: options.max,
    ...(options.inFlight ? { inFlight: options.inFlight } : {}),
    ...(options.keyed ? { keyOf: (item: string) => item.split(':')[0]! } : {}),
    send: (group) => {
      sent.push(group);
      return new Promise<void>((resolve, reject) => answers.push({ resolve, reject }));
    },
    fail: (item, error) => failed.push([item, error]),
  });
  /** Answers the oldest unanswered send and lets the next group go. */
  const answer = async (error?: unknown) => {
    const next = answers.shift()!;
    if (error === undefined) next.resolve();
    else next.reject(error);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { grouping, sent, failed, answer };
}

describe('grouping (natural batching)', () => {
  it('sends the first item at once and the ones that arrive meanwhile together, after it answers', async () => {
    const { grouping, sent, answer } = manual({ max: 10 });
    grouping.add('a');
    grouping.add('b');
    grouping.add('c');
    expect(sent).toEqual([['a']]);
    await answer();
    expect(sent).toEqual([['a'], ['b', 'c']]);
    grouping.add('d');
    expect(sent).toHaveLength(2); // still in flight
    await answer();
    expect(sent).toEqual([['a'], ['b', 'c'], ['d']]);
    await answer();
    grouping.add('e'); // idle again: at once
    expect(sent.at(-1)).toEqual(['e']);
  });

  it('puts at most `max` items in a group, in arrival order', async () => {
    const { grouping, sent, answer } = manual({ max: 2 });
    for (const item of ['a', 'b', 'c', 'd', 'e']) grouping.add(item);
    await answer();
    await answer();
    expect(sent).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it('with a key, never puts two items of one key in a group', async () => {
    const { grouping, sent, answer } = manual({ max: 10, keyed: true });
    for (const item of ['x:1', 's:1', 's:2', 't:1', 's:3']) grouping.add(item);
    await answer();
    await answer();
    await answer();
    expect(sent).toEqual([['x:1'], ['s:1', 't:1'], ['s:2'], ['s:3']]);
  });

  it('fails every item of a group whose send throws, and goes on with the next group', async () => {
    const { grouping, sent, failed, answer } = manual({ max: 10 });
    for (const item of ['a', 'b', 'c']) grouping.add(item);
    const boom = new Error('boom');
    await answer(boom);
    expect(failed).toEqual([['a', boom]]);
    expect(sent.at(-1)).toEqual(['b', 'c']);
    await answer();
    expect(failed).toHaveLength(1);
  });

  it('with two in flight, sends the second item at once too, and groups what arrives while both are out', async () => {
    const { grouping, sent, answer } = manual({ max: 10, inFlight: 2 });
    grouping.add('a');
    grouping.add('b');
    grouping.add('c');
    grouping.add('d');
    expect(sent).toEqual([['a'], ['b']]);
    await answer(); // a answers: c and d go together while b is still out
    expect(sent).toEqual([['a'], ['b'], ['c', 'd']]);
    grouping.add('e');
    expect(sent).toHaveLength(3);
    await answer();
    expect(sent.at(-1)).toEqual(['e']);
  });

  it('with two in flight, never has two items of one key out at once', async () => {
    const { grouping, sent, answer } = manual({ max: 10, keyed: true, inFlight: 2 });
    grouping.add('s:1');
    grouping.add('s:2'); // s is out: waits although a second group could go
    grouping.add('t:1'); // goes at once, as the second group in flight
    expect(sent).toEqual([['s:1'], ['t:1']]);
    grouping.add('s:3');
    await answer(); // s:1 answered: s:2 goes, s:3 still waits for it
    expect(sent).toEqual([['s:1'], ['t:1'], ['s:2']]);
    await answer();
    await answer();
    expect(sent).toEqual([['s:1'], ['t:1'], ['s:2'], ['s:3']]);
  });
});

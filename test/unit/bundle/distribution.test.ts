import { describe, expect, it } from 'vitest';
import { Distribution, STRIKES, type Grant } from '../../../src/bundle/distribution.js';

/** Every receiver takes every file; transfers finish in the order they were granted (one "round" per pass). */
function simulate(hosts: string[], files: string[], o: { servesPerHolder?: number; fail?: (g: Grant, to: string) => boolean } = {}) {
  const d = new Distribution(o.servesPerHolder ? { servesPerHolder: o.servesPerHolder } : {});
  const wanted = new Map(hosts.map((h) => [h, [...files]]));
  const log: Array<{ round: number; to: string } & Grant> = [];
  let round = 0;
  while ([...wanted.values()].some((w) => w.length)) {
    const granted: Array<[string, Grant]> = [];
    for (const h of hosts) {
      const w = wanted.get(h)!;
      for (let g = d.tryNext(h, w); g; g = d.tryNext(h, w)) {
        w.splice(w.indexOf(g.file), 1);
        granted.push([h, g]);
      }
    }
    if (!granted.length) throw new Error(`stuck in round ${round}`);
    for (const [h, g] of granted) {
      const ok = !o.fail?.(g, h);
      log.push({ round, to: h, ...g });
      d.done(g, h, ok);
      if (!ok) wanted.get(h)!.push(g.file);
    }
    round++;
  }
  return { log, rounds: round, d };
}

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const fromAdmin = <G extends Grant>(log: G[]) => log.filter((g) => g.source.kind === 'admin');

describe('bundle distribution plan', () => {
  it('the admin machine sends each file once, however many hosts need it', () => {
    const { log, d } = simulate(hosts(20), ['a.tar', 'b.tar', 'c.tar']);
    expect(
      fromAdmin(log)
        .map((g) => g.file)
        .sort(),
    ).toEqual(['a.tar', 'b.tar', 'c.tar']);
    expect(log).toHaveLength(60);
    for (const f of ['a.tar', 'b.tar', 'c.tar']) expect(d.holdersOf(f)).toHaveLength(20);
  });

  it('holders serve a bounded number of peers at a time, so the copies grow as a tree (rounds ~ log of hosts)', () => {
    const { log, rounds } = simulate(hosts(20), ['a.tar'], { servesPerHolder: 2 });
    const perRound = new Map<string, number>();
    for (const g of log)
      if (g.source.kind === 'peer') perRound.set(`${g.round} ${g.source.host}`, (perRound.get(`${g.round} ${g.source.host}`) ?? 0) + 1);
    expect(Math.max(...perRound.values())).toBeLessThanOrEqual(2);
    // 1 → 3 → 9 → 27 holders: the admin's round and 3 peer rounds
    expect(rounds).toBe(4);
  });

  it('different files go to different first hosts at once (the admin sends them in parallel, not one file to everyone)', () => {
    const d = new Distribution();
    const w1 = ['a', 'b'];
    const w2 = ['a', 'b'];
    const g1 = d.tryNext('h1', w1)!;
    w1.splice(w1.indexOf(g1.file), 1);
    const g2 = d.tryNext('h2', w2)!;
    expect(g1).toEqual({ file: 'a', source: { kind: 'admin' } });
    expect(g2).toEqual({ file: 'b', source: { kind: 'admin' } });
  });

  it('a host that already holds a file serves it: nothing more from the admin machine (a resumed run)', () => {
    const d = new Distribution();
    d.holds('a', 'h1');
    expect(d.tryNext('h2', ['a'])).toEqual({ file: 'a', source: { kind: 'peer', host: 'h1' } });
    expect(d.tryNext('h3', ['a'])).toEqual({ file: 'a', source: { kind: 'peer', host: 'h1' } });
    expect(d.tryNext('h4', ['a'])).toBeNull(); // h1 is busy with two peers: wait, do not use the admin's uplink
  });

  it('a peer that fails sends that receiver back to the admin machine, and others keep using the peers', () => {
    const d = new Distribution();
    d.holds('a', 'h1');
    const g = d.tryNext('h2', ['a'])!;
    d.done(g, 'h2', false);
    expect(d.tryNext('h2', ['a'])).toEqual({ file: 'a', source: { kind: 'admin' } });
    expect(d.tryNext('h3', ['a'])).toEqual({ file: 'a', source: { kind: 'peer', host: 'h1' } });
  });

  it('a holder that dies mid-run fails at most STRIKES receivers (they fall back to the admin machine); every other host still gets the file from a peer', () => {
    const { log, d } = simulate(hosts(8), ['a'], { fail: (g) => g.source.kind === 'peer' && g.source.host === 'h1' });
    const failedBy = log.filter((g) => g.source.kind === 'peer' && g.source.host === 'h1').map((g) => g.to);
    expect(failedBy).toHaveLength(STRIKES); // then h1 is offered to nobody
    expect(
      fromAdmin(log)
        .map((g) => g.to)
        .sort(),
    ).toEqual(['h1', ...failedBy].sort());
    expect(d.holdersOf('a')).toEqual(hosts(8).filter((h) => h !== 'h1'));
  });

  it('a receiver waits while the only copy is in flight, and is woken when it lands', async () => {
    const d = new Distribution();
    const g1 = d.tryNext('h1', ['a'])!;
    const wanted = ['a'];
    const waiting = d.next('h2', wanted);
    let settled = false;
    void waiting.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    d.done(g1, 'h1', true);
    expect(await waiting).toEqual({ file: 'a', source: { kind: 'peer', host: 'h1' } });
    expect(wanted).toEqual([]);
  });

  it('the admin copy failing lets the next receiver take the file from the admin machine', () => {
    const d = new Distribution();
    const g = d.tryNext('h1', ['a'])!;
    expect(d.tryNext('h2', ['a'])).toBeNull();
    d.done(g, 'h1', false);
    expect(d.tryNext('h2', ['a'])).toEqual({ file: 'a', source: { kind: 'admin' } });
  });

  it('an aborted wait ends', async () => {
    const d = new Distribution();
    d.tryNext('h1', ['a']);
    const ac = new AbortController();
    const waiting = d.next('h2', ['a'], ac.signal);
    ac.abort();
    await expect(waiting).rejects.toThrow();
  });
});

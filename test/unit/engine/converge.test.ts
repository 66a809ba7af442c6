/** The converge batch (src/engine/converge.ts, check-batch.ts, checks-file.ts): checks answered from one round trip. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECK_PARALLELISM,
  checkBatch,
  decodeCheckBatch,
  encodeCheckBatch,
  isCheckBatch,
  runCheckBatch,
  type CheckEntry,
} from '../../../src/engine/check-batch.js';
import { checksFilePath, loadChecks, saveChecks } from '../../../src/engine/checks-file.js';
import { ConvergeCache, type CallMode } from '../../../src/engine/converge.js';
import { LockHeldError, parseLockFile, RunLocks } from '../../../src/engine/lock.js';
import { commandText, secret, sh, type Command } from '../../../src/transport/command.js';
import { encodeLookupOutput, isLookupBatch, lookups, READ_ABSENT_CODE, read, run } from '../../../src/transport/lookups.js';
import { CommandError, type ExecOptions, type ExecResult, type Transport } from '../../../src/transport/types.js';
import { localShell } from '../transport/local-shell.js';
import { fakeTask, inventory, Journal, playbook, run as runFakes } from './fakes.js';

/** An in-memory host: files, and commands answered by `answer`; every round trip is counted. */
class FakeHost implements Transport {
  readonly trips: string[] = [];
  readonly files = new Map<string, string>();
  constructor(
    readonly host: string,
    public answer: (text: string) => { code?: number; stdout?: string; stderr?: string } = () => ({}),
  ) {}
  #reply(text: string) {
    const r = this.answer(text);
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }
  async exec(cmd: Command, opts: ExecOptions = {}): Promise<ExecResult> {
    if (isCheckBatch(cmd)) {
      this.trips.push(`batch of ${cmd.entries.length}`);
      const results = cmd.entries.map((e) => {
        if (e.kind === 'exec') return this.#reply(e.text);
        const f = this.files.get(e.path);
        return f === undefined
          ? { code: 1, stdout: '', stderr: `cat: ${e.path}: No such file or directory` }
          : { code: 0, stdout: f, stderr: '' };
      });
      return { code: 0, stdout: encodeCheckBatch(cmd.marker, results), stderr: '', durationMs: 0 };
    }
    if (isLookupBatch(cmd)) {
      this.trips.push(`look-ups ${cmd.lookups.length}`);
      const results = cmd.lookups.map((l) => {
        if (l.kind === 'run') return this.#reply(commandText(l.cmd));
        const f = this.files.get(l.path);
        return f === undefined ? { code: READ_ABSENT_CODE, stdout: '' } : { code: 0, stdout: f };
      });
      return { code: 0, stdout: encodeLookupOutput(cmd.marker, results), stderr: '', durationMs: 0 };
    }
    const text = commandText(cmd);
    this.trips.push(text);
    const r = this.#reply(text);
    if (r.code !== 0 && !opts.allowFailure) throw new CommandError(this.host, text, r.code, r.stdout, r.stderr);
    return { ...r, durationMs: 0 };
  }
  async readFile(path: string): Promise<Buffer | null> {
    this.trips.push(`read ${path}`);
    const f = this.files.get(path);
    return f === undefined ? null : Buffer.from(f);
  }
  async writeFile(path: string, content: string | Buffer): Promise<void> {
    this.trips.push(`write ${path}`);
    this.files.set(path, content.toString());
  }
  async upload(): Promise<never> {
    throw new Error('not in these tests');
  }
  async close(): Promise<void> {}
}

/** One run's cache over fake hosts, the previous run's questions given. */
function setup(previous: Record<string, CheckEntry[]> = {}, clusterHosts = ['cp1']) {
  const cache = new ConvergeCache({ previous, clusterHosts });
  const mode: { now: CallMode } = { now: 'check' };
  const hosts = new Map<string, FakeHost>();
  const host = (name: string) => {
    let h = hosts.get(name);
    if (!h) hosts.set(name, (h = new FakeHost(name)));
    return h;
  };
  const view = (name: string) => cache.view(host(name), () => mode.now);
  return { cache, mode, host, view };
}

/** What a first run records for a host: the questions its checks asked, in order. */
async function learn(name: string, ask: (t: Transport) => Promise<unknown>, fill?: (h: FakeHost) => void) {
  const s = setup();
  fill?.(s.host(name));
  await ask(s.view(name));
  return s.cache.recorded()[name] ?? [];
}

const sysctlChecks = (t: Transport) =>
  Promise.all([t.readFile('/etc/sysctl.d/k8s.conf'), t.exec(['sysctl', '-n', 'net.ipv4.ip_forward'], { allowFailure: true })]);

describe('check batch script', () => {
  it('gives each entry its exit code, stdout, stderr, and a file its exact bytes (run by sh)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-check-batch-'));
    const bin = Buffer.from([0x99, 0x01, 0x0a, 0xff, 0x00, 0x41]);
    writeFileSync(join(dir, 'key.gpg'), bin);
    const entries: CheckEntry[] = [
      { kind: 'exec', text: commandText(sh`printf 'out\n'; echo 'warn' >&2; exit 3`), display: 'x' },
      { kind: 'read', path: join(dir, 'key.gpg') },
      { kind: 'read', path: join(dir, 'absent') },
      { kind: 'exec', text: commandText(['printf', '%s', 'no newline']), display: 'y' },
    ];
    const batch = checkBatch(entries);
    const r = spawnSync('sh', ['-c', batch.text], { env: { PATH: process.env.PATH, TMPDIR: dir } });
    const answers = decodeCheckBatch(entries, batch.marker, r.stdout.toString('latin1'), 'latin1');
    expect(answers[0]).toEqual({ kind: 'exec', code: 3, stdout: 'out\n', stderr: 'warn\n' });
    expect(answers[1]).toEqual({ kind: 'read', bytes: bin });
    expect(answers[2]).toEqual({ kind: 'read', bytes: null });
    expect(answers[3]).toEqual({ kind: 'exec', code: 0, stdout: 'no newline', stderr: '' });
  });

  it('runs the checks side by side: one check sees another that is still running', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-check-batch-'));
    const flag = join(dir, 'second-started');
    const entries: CheckEntry[] = [
      // waits (at most ~5 s) for the second check to start: only a batch that runs them together lets it see it
      {
        kind: 'exec',
        text: commandText(
          sh`i=0; while [ ! -e ${flag} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; [ -e ${flag} ] && echo together || echo alone`,
        ),
        display: 'a',
      },
      { kind: 'exec', text: commandText(sh`touch -- ${flag}; echo started`), display: 'b' },
      ...Array.from({ length: CHECK_PARALLELISM + 3 }, (_, i) => ({
        kind: 'exec' as const,
        text: `echo ${i}; exit ${i % 3}`,
        display: `e${i}`,
      })),
    ];
    const batch = checkBatch(entries);
    const r = spawnSync('sh', ['-c', batch.text], { env: { PATH: process.env.PATH, TMPDIR: dir } });
    const answers = decodeCheckBatch(entries, batch.marker, r.stdout.toString('latin1'), 'latin1');
    expect(answers[0]).toEqual({ kind: 'exec', code: 0, stdout: 'together\n', stderr: '' });
    expect(answers[1]).toEqual({ kind: 'exec', code: 0, stdout: 'started\n', stderr: '' });
    answers.slice(2).forEach((a, i) => expect(a).toEqual({ kind: 'exec', code: i % 3, stdout: `${i}\n`, stderr: '' }));
    expect(readdirSync(dir)).toEqual(['second-started']); // its temporary directory is gone
  });

  it('leaves out an entry the output was cut short in', () => {
    const entries: CheckEntry[] = [
      { kind: 'exec', text: 'true', display: 'true' },
      { kind: 'exec', text: 'true', display: 'true' },
    ];
    const full = encodeCheckBatch('M', [
      { code: 0, stdout: 'a', stderr: '' },
      { code: 0, stdout: 'b', stderr: '' },
    ]);
    const cut = full.slice(0, full.lastIndexOf('M:1:err'));
    expect(decodeCheckBatch(entries, 'M', cut, 'utf8')).toEqual([{ kind: 'exec', code: 0, stdout: 'a', stderr: '' }, undefined]);
  });
});

describe('check batch through a transport without a raw runner', () => {
  it('reads a text file again on its own when its bytes were not UTF-8 (they cannot be told apart after decoding)', async () => {
    const h = new FakeHost('w1');
    h.files.set('/text', 'plain\n');
    h.files.set('/key.gpg', '\uFFFD\u0001binary');
    const answers = await runCheckBatch(
      h,
      [
        { kind: 'read', path: '/text' },
        { kind: 'read', path: '/key.gpg' },
      ],
      1000,
    );
    expect(answers).toEqual([{ kind: 'read', bytes: Buffer.from('plain\n') }, undefined]);
  });
});

describe('ConvergeCache', () => {
  it('without a previous run asks the host one by one and records every question in order', async () => {
    const s = setup();
    const t = s.view('w1');
    await sysctlChecks(t);
    await lookups(t, [read('/etc/fstab'), run(['swapon', '--show'])]);
    expect(s.host('w1').trips).toHaveLength(3);
    expect(s.cache.recorded().w1!.map((e) => (e.kind === 'read' ? `read ${e.path}` : e.text))).toEqual([
      'read /etc/sysctl.d/k8s.conf',
      'sysctl -n net.ipv4.ip_forward',
      'read /etc/fstab',
      'swapon --show',
    ]);
  });

  it('with the previous questions answers every check from one round trip, with fresh answers', async () => {
    const previous = { w1: await learn('w1', sysctlChecks) };
    const s = setup(previous);
    const w1 = s.host('w1');
    w1.files.set('/etc/sysctl.d/k8s.conf', 'now\n');
    w1.answer = () => ({ stdout: '1\n' });
    const [file, live] = await sysctlChecks(s.view('w1'));
    expect(file?.toString()).toBe('now\n');
    expect(live).toMatchObject({ code: 0, stdout: '1\n' });
    expect(w1.trips).toEqual(['batch of 2']);
    expect(s.cache.served('w1')).toBe(2);
  });

  it('answers a batch of look-ups look-up by look-up from the batch', async () => {
    const ask = (t: Transport) => lookups(t, [read('/etc/fstab'), run(['swapon', '--show'])]);
    const s = setup({ w1: await learn('w1', ask) });
    s.host('w1').files.set('/etc/fstab', 'UUID=1 / ext4\n');
    s.host('w1').answer = () => ({ code: 0, stdout: '/swap.img file\n' });
    expect(await ask(s.view('w1'))).toEqual(['UUID=1 / ext4\n', expect.objectContaining({ code: 0, stdout: '/swap.img file\n' })]);
    expect(s.host('w1').trips).toEqual(['batch of 2']);
  });

  it('throws for a served non-zero exit as the host would, unless failure is allowed', async () => {
    const ask = (t: Transport) => t.exec(['systemctl', 'is-active', 'kubelet'], { allowFailure: true });
    const s = setup({ w1: await learn('w1', ask) });
    s.host('w1').answer = () => ({ code: 3, stdout: 'inactive\n' });
    await expect(s.view('w1').exec(['systemctl', 'is-active', 'kubelet'])).rejects.toBeInstanceOf(CommandError);
    expect(s.host('w1').trips).toEqual(['batch of 1']);
  });

  it('a change on a worker drops its answers and the control planes, not the other workers', async () => {
    const previous = {
      cp1: await learn('cp1', sysctlChecks),
      w1: await learn('w1', sysctlChecks),
      w2: await learn('w2', sysctlChecks),
    };
    const s = setup(previous);
    await Promise.all(
      ['cp1', 'w1', 'w2'].map((n) =>
        s
          .view(n)
          .readFile('/etc/hosts')
          .catch(() => null),
      ),
    ); // batches sent
    s.mode.now = 'change';
    await s.view('w1').writeFile('/etc/sysctl.d/k8s.conf', 'fixed\n');
    s.mode.now = 'check';
    for (const n of ['cp1', 'w1', 'w2']) await sysctlChecks(s.view(n));
    expect(s.host('w1').trips.slice(-2)).toEqual(['read /etc/sysctl.d/k8s.conf', 'sysctl -n net.ipv4.ip_forward']);
    expect(s.host('cp1').trips.slice(-2)).toEqual(['read /etc/sysctl.d/k8s.conf', 'sysctl -n net.ipv4.ip_forward']);
    expect(s.host('w2').trips.filter((x) => !x.startsWith('read /etc/hosts'))).toEqual(['batch of 2']);
    expect((await s.view('w1').readFile('/etc/sysctl.d/k8s.conf'))?.toString()).toBe('fixed\n'); // never the stale answer
  });

  it('a change that stays on its host keeps the control planes answers', async () => {
    const s = setup({ cp1: await learn('cp1', sysctlChecks), w1: await learn('w1', sysctlChecks) });
    await s.view('cp1').readFile('/nothing');
    s.mode.now = 'host-change';
    await s.view('w1').exec(['sysctl', '--system']);
    s.mode.now = 'check';
    await sysctlChecks(s.view('cp1'));
    expect(s.host('cp1').trips).toEqual(['batch of 2', 'read /nothing']);
  });

  it('asks the host again once a question was asked more often than last time (a check that polls)', async () => {
    const ask = (t: Transport) => t.exec(['kubectl', 'get', 'nodes'], { allowFailure: true });
    const s = setup({ cp1: await learn('cp1', ask) });
    let calls = 0;
    s.host('cp1').answer = () => ({ stdout: `answer ${++calls}` });
    expect((await ask(s.view('cp1'))).stdout).toBe('answer 1');
    expect((await ask(s.view('cp1'))).stdout).toBe('answer 2');
    expect(s.host('cp1').trips).toEqual(['batch of 1', 'kubectl get nodes']);
  });

  it('never batches or records a command with a secret, stdin, or without sudo; live calls pass as they are', async () => {
    const s = setup({ w1: [{ kind: 'exec', text: 'true', display: 'true' }] });
    const t = s.view('w1');
    await t.exec(sh`echo ${secret('s3cr3t-token')}`);
    await t.exec(['cat'], { stdin: 'x' });
    await t.exec(['id'], { noSudo: true });
    s.mode.now = 'live';
    await t.exec(['true']);
    expect(s.cache.recorded().w1 ?? []).toEqual([]);
    expect(s.host('w1').trips).toHaveLength(4);
  });
});

describe('runner with a converge cache', () => {
  /** A task whose check reads a file on its host and whose apply writes it (through the task's transport). */
  const fileTask = (id: string, path: string, want: string, opts: { liveCheck?: boolean } = {}) => ({
    id,
    title: `Test | ${id}`,
    ...opts,
    async check(ctx: Parameters<ReturnType<typeof fakeTask>['check']>[0]) {
      const now = (await ctx.transport.readFile(path))?.toString();
      return now === want ? { status: 'ok' as const } : { status: 'change' as const, changes: [{ summary: `write ${path}` }] };
    },
    async apply(ctx: Parameters<ReturnType<typeof fakeTask>['check']>[0]) {
      await ctx.transport.writeFile(path, want);
    },
  });
  const inv = inventory([
    { name: 'cp1', address: '10.199.0.10', roles: ['control-plane'] },
    { name: 'w1', address: '10.199.0.11', roles: ['worker'] },
    { name: 'w2', address: '10.199.0.12', roles: ['worker'] },
  ]);
  const tasks = [fileTask('t.a', '/a', 'A'), fileTask('t.b', '/b', 'B')];
  const pb = playbook([
    'One',
    [
      { task: 't.a', hosts: 'all' },
      { task: 't.b', hosts: 'all' },
    ],
  ]);

  async function runWith(previous: Record<string, CheckEntry[]>, drifted: string[]) {
    const cache = new ConvergeCache({ previous, clusterHosts: ['cp1'] });
    const fakes = new Map<string, FakeHost>();
    for (const n of ['cp1', 'w1', 'w2']) {
      const h = new FakeHost(n);
      h.files.set('/a', drifted.includes(n) ? 'drift' : 'A');
      h.files.set('/b', 'B');
      fakes.set(n, h);
    }
    const { result } = await runFakes(tasks, pb, { checks: cache, connect: async (host) => fakes.get(host.name)! }, inv);
    return { result, cache, fakes };
  }

  it('a drifted host gets every step; the others are answered from one batch each', async () => {
    const first = await runWith({}, []);
    const again = await runWith(first.cache.recorded(), ['w1']);
    expect(again.result.ok).toBe(true);
    expect(again.fakes.get('w1')!.files.get('/a')).toBe('A');
    expect(again.fakes.get('w1')!.trips).toEqual(['batch of 2', 'write /a', 'read /b']);
    expect(again.fakes.get('w2')!.trips).toEqual(['batch of 2']);
    expect(again.fakes.get('cp1')!.trips).toEqual(['batch of 2', 'read /b']); // a control plane asks again after any change
    expect(again.result.recap.hosts.map((h) => `${h.host}:${h.changed}`)).toEqual(['cp1:0', 'w1:1', 'w2:0']);
  });

  it('a task whose check must reach the host is never answered from the batch', async () => {
    const journal = new Journal();
    const lock = { ...fakeTask(journal, { id: 'run.lock', result: () => ({ status: 'ok' }) }), liveCheck: true };
    const locking = {
      ...lock,
      async check(ctx: Parameters<typeof lock.check>[0]) {
        await ctx.transport.exec(['take-lock']);
        return { status: 'ok' as const };
      },
    };
    const cache = new ConvergeCache({ previous: { cp1: [{ kind: 'exec', text: 'take-lock', display: 'take-lock' }] }, clusterHosts: [] });
    const h = new FakeHost('cp1');
    const pbLock = playbook(['L', [{ task: 'run.lock', hosts: 'first-control-plane' }]]);
    await runFakes([locking], pbLock, { checks: cache, connect: async () => h }, inv);
    expect(h.trips).toEqual(['take-lock']);
    expect(cache.recorded()).toEqual({});
  });
});

describe('checks file', () => {
  it('keeps questions between runs, the previous ones for a failed host, and no secret', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-checks-'));
    const path = checksFilePath(dir, 'prod', 'apply');
    const e = (text: string): CheckEntry => ({ kind: 'exec', text, display: text });
    saveChecks(path, {}, { cp1: [e('a')], w1: [e('b')] }, () => true);
    expect(loadChecks(path)).toEqual({ cp1: [e('a')], w1: [e('b')] });
    saveChecks(path, loadChecks(path), { cp1: [e('c'), e('token abcd1234')], w1: [e('d')] }, (h) => h !== 'w1', ['abcd1234']);
    expect(loadChecks(path)).toEqual({ cp1: [e('c')], w1: [e('b')] });
  });

  it('counts a file of another version or an unreadable one as none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-checks-'));
    const path = checksFilePath(dir, 'prod', 'apply');
    saveChecks(path, {}, { cp1: [{ kind: 'read', path: '/x' }] }, () => true);
    const data = JSON.parse(readFileSync(path, 'utf8')) as { version: string };
    writeFileSync(path, JSON.stringify({ ...data, version: '0.0.0-other' }));
    expect(loadChecks(path)).toEqual({});
    writeFileSync(path, '{not json');
    expect(loadChecks(path)).toEqual({});
  });
});

describe('the run lock folded into the batch (one round trip: lock, then every check)', () => {
  it('takes the lock and answers the checks in one round trip; a lock held by another run runs no check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-fold-'));
    writeFileSync(join(dir, 'f'), 'hello');
    const probe = join(dir, 'batch-ran');
    const previous: Record<string, CheckEntry[]> = {
      h1: [
        { kind: 'read', path: join(dir, 'f') },
        { kind: 'exec', text: commandText(sh`touch -- ${probe}; echo checked`), display: 'touch' },
      ],
    };
    const lockOf = (t: Transport, cache: ConvergeCache) =>
      new RunLocks({ command: 'apply', dir, fold: (host, script, proceed) => cache.withBatch(host, async () => t, script, proceed) });

    const first = { ...localShell(), host: 'h1' };
    const cache = new ConvergeCache({ previous, clusterHosts: [] });
    const locks = lockOf(first, cache);
    await locks.acquire('h1', first);
    expect(first.sent).toHaveLength(1);
    expect(parseLockFile(readFileSync(join(dir, 'lock'), 'utf8'))?.id).toBe(locks.owner.id);
    const view = cache.view(first, () => 'check');
    expect((await view.readFile(join(dir, 'f')))?.toString()).toBe('hello');
    expect((await view.exec(sh`touch -- ${probe}; echo checked`)).stdout).toBe('checked\n');
    expect(first.sent).toHaveLength(1); // both answered from the lock's round trip
    expect(cache.served('h1')).toBe(2);

    rmSync(probe);
    const second = { ...localShell(), host: 'h1' };
    const other = lockOf(second, new ConvergeCache({ previous, clusterHosts: [] }));
    await expect(other.acquire('h1', second)).rejects.toBeInstanceOf(LockHeldError);
    expect(second.sent).toHaveLength(1);
    expect(existsSync(probe)).toBe(false); // the batch never ran without the lock
    await locks.release();
  });

  it('a host without a previous run sends the lock alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ks-fold-'));
    const t = localShell();
    const cache = new ConvergeCache({ previous: {}, clusterHosts: [] });
    const locks = new RunLocks({
      command: 'apply',
      dir,
      fold: (host, script, proceed) => cache.withBatch(host, async () => t, script, proceed),
    });
    await locks.acquire('h1', t);
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]).not.toContain('@@ks-check');
    await locks.release();
  });
});

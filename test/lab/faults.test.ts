/** Faults through the repository's real emulators: the rule files the lab writes are the ones they honour. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, labDown, labUp } from './lab.js';
import { readManifest } from './hosts.js';
import { isRoot, ROOT_SKIP_MESSAGE, sshRun } from './helpers/ssh.js';

if (!isRoot()) console.warn(`skipping test/lab/faults.test.ts: ${ROOT_SKIP_MESSAGE}`);
const installed = new Set(readManifest().system);

describe.skipIf(!isRoot())('lab faults with the emulators', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await labUp({ name: 'labtest-faults', hosts: [{ name: 'f1' }, { name: 'f2', os: 'rocky9' }] });
  });
  afterAll(async () => {
    if (lab) await labDown(lab.name);
  });

  it.skipIf(!installed.has('systemctl'))('failNext makes the next n calls fail, then the command works again', async () => {
    await lab.failNext('f1', 'systemctl', 2);
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await sshRun(lab, 'f1', 'systemctl is-enabled sshd.service >/dev/null; echo "rc=$?"'));
    expect(calls.map((c) => c.stdout)).toEqual(['rc=1\n', 'rc=1\n', expect.not.stringMatching(/^rc=1\n$/)]);
    expect(calls[0]!.stderr).toMatch(/lab: injected failure/);
    expect(lab.journal('f1').filter((l) => / systemctl is-enabled sshd.service$/.test(l))).toHaveLength(3);
    expect(lab.journal('f2').filter((l) => / systemctl is-enabled/.test(l))).toHaveLength(0);
  });

  it.skipIf(!installed.has('systemctl'))('failNext hang makes the call hang until it is killed', async () => {
    await lab.failNext('f2', 'systemctl', 1, 'hang');
    const t0 = Date.now();
    const r = await lab.exec('f2', 'timeout 1 systemctl is-active sshd.service; echo "rc=$?"');
    expect(r.stdout).toBe('rc=124\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect((await lab.exec('f2', 'timeout 5 systemctl is-active sshd.service >/dev/null; echo "rc=$?"')).stdout).not.toBe('rc=124\n');
  });

  it.skipIf(!installed.has('date'))('skewClock moves the host clock the date emulator shows, not the machine clock', async () => {
    await lab.skewClock('f1', -86_400);
    const [f1, f2] = await Promise.all([lab.exec('f1', 'date +%s'), lab.exec('f2', 'date +%s')]);
    const now = Date.now() / 1000;
    expect(Number(f1.stdout) - now).toBeGreaterThan(-86_400 - 30);
    expect(Number(f1.stdout) - now).toBeLessThan(-86_400 + 30);
    expect(Math.abs(Number(f2.stdout) - now)).toBeLessThan(30);
    expect(Math.abs(Date.now() / 1000 - now)).toBeLessThan(30);
  });

  it.skipIf(!installed.has('date'))('advanceClock moves one host or every host forward by days, on top of the offset it had', async () => {
    await lab.skewClock('f1', 0);
    await lab.skewClock('f2', 0);
    expect(await lab.advanceClock('f2', 1.5)).toEqual({ f2: 129_600 });
    expect(await lab.advanceClock('all', 400)).toEqual({ f1: 400 * 86_400, f2: 400 * 86_400 + 129_600 });
    const [f1, f2] = await Promise.all([lab.exec('f1', 'date +%s'), lab.exec('f2', 'date +%s')]);
    const now = Date.now() / 1000;
    expect(Math.abs(Number(f1.stdout) - now - 400 * 86_400)).toBeLessThan(30);
    expect(Math.abs(Number(f2.stdout) - now - 401.5 * 86_400)).toBeLessThan(30);
    await lab.skewClock('f1', 0);
    await lab.skewClock('f2', 0);
  });

  it.skipIf(!installed.has('reboot'))('applyPowerRequest reboots a host that ran reboot, keeping its disk', async () => {
    expect(await lab.applyPowerRequest('f2')).toBeNull();
    await lab.exec('f2', 'echo kept > /var/lib/reboot-probe; reboot');
    const before = lab.host('f2').pid;
    expect(await lab.applyPowerRequest('f2')).toBe('reboot');
    expect(lab.host('f2').pid).not.toBe(before);
    expect(lab.readFile('f2', '/var/lib/reboot-probe')).toBe('kept\n');
    expect(lab.readFile('f2', '/run/lab/reboot-requested')).toBeNull();
    expect((await sshRun(lab, 'f2', 'hostname')).stdout).toBe('f2\n');
  });
});

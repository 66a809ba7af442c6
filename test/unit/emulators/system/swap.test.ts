import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, Sandbox } from './sandbox.js';

let sb: Sandbox;
beforeAll(ensureBuilt, 120_000);
afterEach(() => sb?.dispose());

describe('swap emulation', () => {
  it('a persona boots with /swap.img on; swapoff -a empties swapon --show and the /proc/swaps view', () => {
    sb = new Sandbox('ubuntu2404').boot();
    expect(sb.read('/etc/fstab')).toMatch(/^\/swap\.img\s+none\s+swap\s+sw\s+0\s+0$/m);
    expect(sb.ok('swapon', '--show')).toBe('NAME      TYPE SIZE USED PRIO\n/swap.img file   2G   0B   -2\n');
    expect(sb.ok('swapon', '--show=NAME', '--noheadings')).toBe('/swap.img\n');
    expect(sb.read('/run/lab/swaps')).toBe(
      'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/swap.img                               file\t\t2097148\t\t0\t\t-2\n',
    );
    expect(sb.ok('free')).toMatch(/^Swap:\s+2097148\s+0\s+2097148$/m);

    sb.ok('swapoff', '-a');
    expect(sb.ok('swapon', '--show')).toBe('');
    expect(sb.ok('swapon', '--show', '--noheadings')).toBe('');
    expect(sb.read('/run/lab/swaps')).toBe('Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n');
    expect(sb.ok('free', '-h')).toMatch(/^Swap:\s+0B\s+0B\s+0B$/m);
    expect(sb.run('swapoff', ['/swap.img'])).toMatchObject({ code: 4, stderr: 'swapoff: /swap.img: swapoff failed: Invalid argument\n' });
  });

  it('swap comes back at reboot while fstab lists it, and stays off once it is commented out or its unit masked', () => {
    sb = new Sandbox('debian12').boot();
    sb.ok('swapoff', '-a');
    sb.ok('lab-boot');
    expect(sb.ok('swapon', '--show', '--noheadings')).toMatch(/^\/swap\.img/);

    sb.ok('systemctl', 'mask', 'swap.img.swap');
    sb.ok('swapoff', '-a');
    sb.ok('lab-boot');
    expect(sb.ok('swapon', '--show')).toBe('');
    // swapon -a reads fstab itself and ignores systemd masking, like util-linux
    sb.ok('swapon', '-a');
    expect(sb.ok('swapon', '--show', '--noheadings')).toMatch(/^\/swap\.img/);

    sb.ok('systemctl', 'unmask', 'swap.img.swap');
    sb.write('/etc/fstab', sb.read('/etc/fstab')!.replace(/^\/swap\.img/m, '#/swap.img'));
    sb.ok('lab-boot');
    expect(sb.ok('swapon', '--show')).toBe('');
    expect(sb.ok('swapon', '-a')).toBe('');
    expect(sb.ok('swapon', '--show')).toBe('');
  });

  it('swapon of something that is no swap area fails like util-linux', () => {
    sb = new Sandbox().boot();
    expect(sb.run('swapon', ['/nope'])).toMatchObject({ code: 4, stderr: 'swapon: cannot open /nope: No such file or directory\n' });
    expect(sb.run('swapon', ['/swap.img'])).toMatchObject({
      code: 4,
      stderr: 'swapon: /swap.img: swapon failed: Device or resource busy\n',
    });
  });
});

// Real etcd membership for the emulated kubeadm (when the lab runs real etcd, see static-etcd.ts):
// a control-plane join adds a member with `etcdctl member add`, kubeadm reset removes this node's member.
import { spawnSync } from 'node:child_process';
import { ExitError, sleepMs } from './lab.js';
import { ETCD_MANIFEST, etcdAlive, realEtcdBin, staticEtcdEnabled, stopStaticEtcd } from './static-etcd.js';
import { readText } from './lab.js';

export function etcdctl(certDir: string, endpoints: string[], args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(
    realEtcdBin('etcdctl'),
    [
      `--endpoints=${endpoints.join(',')}`,
      `--cacert=${certDir}/etcd/ca.crt`,
      `--cert=${certDir}/etcd/healthcheck-client.crt`,
      `--key=${certDir}/etcd/healthcheck-client.key`,
      '--dial-timeout=3s',
      '--command-timeout=10s',
      ...args,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Retries like kubeadm does: after a leader's crash the first write times out. */
function retry(n: number, f: () => { code: number; stdout: string; stderr: string }) {
  let r = f();
  for (let i = 1; i < n && r.code !== 0; i++) {
    sleepMs(2000);
    r = f();
  }
  return r;
}

interface Member {
  ID: string;
  name?: string;
  peerURLs?: string[];
}

function members(certDir: string, endpoints: string[]): Member[] | undefined {
  const r = retry(5, () => etcdctl(certDir, endpoints, ['member', 'list', '-w', 'json']));
  if (r.code !== 0) return undefined;
  const text = r.stdout.replace(/"ID":(\d+)/g, '"ID":"$1"');
  return (JSON.parse(text) as { members?: Member[] }).members ?? [];
}

/**
 * Add this node as a member through the existing members' client URLs; returns the initial cluster
 * ("name=peerURL" entries) for the new member's manifest, or undefined when real etcd is off.
 * A member already listed with this peer URL is reused (as kubeadm does).
 */
export function realEtcdMemberAdd(name: string, ip: string, certDir: string, clientURLs: string[]): string[] | undefined {
  if (!staticEtcdEnabled() || clientURLs.length === 0) return undefined;
  const peer = `https://${ip}:2380`;
  const list = members(certDir, clientURLs);
  if (!list)
    throw new ExitError(
      `error: error execution phase check-etcd: etcd cluster is not healthy: failed to list members through ${clientURLs.join(',')}`,
    );
  const named = (ms: Member[]) =>
    ms.map((m) => `${m.name || (m.peerURLs?.[0] === peer ? name : '')}=${m.peerURLs?.[0] ?? ''}`).filter((e) => !e.startsWith('='));
  if (list.some((m) => m.peerURLs?.includes(peer))) return named(list);
  // The previous joiner's etcd may still be starting ("not enough started members"): kubeadm waits for it, so do we
  // (≤ 90 s). An add that timed out may have gone through: then the member is listed and reused.
  let r = etcdctl(certDir, clientURLs, ['member', 'add', name, `--peer-urls=${peer}`]);
  for (let i = 1; i < 45 && r.code !== 0; i++) {
    sleepMs(2000);
    const now = members(certDir, clientURLs);
    if (now?.some((m) => m.peerURLs?.includes(peer))) return named(now);
    r = etcdctl(certDir, clientURLs, ['member', 'add', name, `--peer-urls=${peer}`]);
  }
  if (r.code !== 0)
    throw new ExitError(
      `error: error execution phase control-plane-join/etcd: error creating local etcd static pod manifest file: ${r.stderr.trim()}`,
    );
  const initial = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(r.stdout)?.[1];
  return initial ? initial.split(',') : named(members(certDir, clientURLs) ?? []);
}

/** kubeadm reset's remove-etcd-member phase against real etcd, then stop the local etcd. */
export function realEtcdLeave(certDir: string): string | undefined {
  if (!staticEtcdEnabled()) return undefined;
  const name = /--name=(\S+)/.exec(readText(ETCD_MANIFEST) ?? '')?.[1] ?? '';
  let note: string | undefined;
  if (etcdAlive()) {
    const list = members(certDir, ['https://127.0.0.1:2379']);
    const me = list?.find((m) => m.name === name);
    if (list && me && list.length > 1) {
      const hex = BigInt(me.ID).toString(16);
      const r = retry(5, () => etcdctl(certDir, ['https://127.0.0.1:2379'], ['member', 'remove', hex]));
      note = r.code === 0 ? `[reset] Removed etcd member ${hex} (${name})` : `[reset] Failed to remove etcd member: ${r.stderr.trim()}`;
    }
  }
  stopStaticEtcd();
  return note;
}

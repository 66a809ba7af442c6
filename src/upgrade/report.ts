/** What `plan upgrade` prints: the route, each node's steps per version, every pre-check and blocker. */
import { parseKubeVersion } from '../data/versions.js';
import type { Hosts } from '../model/host.js';
import { painter } from '../ui/output.js';
import { batches, type UpgradeRun } from './options.js';
import { describeRoute } from './route.js';
import { upgradeSteps, type Survey } from './survey.js';
import { describeCni } from './cni.js';

type Flags = Omit<UpgradeRun, 'target' | 'from'>;

const below = (version: string | undefined, target: string) => {
  if (!version) return true;
  const v = parseKubeVersion(version);
  const t = parseKubeVersion(target);
  return v.minor < t.minor || (v.minor === t.minor && v.patch < t.patch);
};

/** Each node's steps for one version of the route (nodes at that version already are said to be). */
export function nodeSteps(s: Survey, hosts: Hosts, step: string, f: Flags): string[] {
  const version = (name: string) => s.nodes.find((n) => n.name === name)?.version;
  const renew = f.certificateRenewal ? '' : ' --certificate-renewal=false';
  const tail = `drain, kubelet + kubectl ${step} (held), restart kubelet, uncordon, health gate`;
  const lines = hosts.controlPlanes.map((cp, i) => {
    if (!below(version(cp.name), step) && s.server && !below(s.server, step)) return `${cp.name}: at ${step} already`;
    const kubeadm = i === 0 ? `kubeadm upgrade apply v${step}${renew} (pulls the images first)` : `kubeadm upgrade node${renew}`;
    return `${cp.name}: repository v1.${parseKubeVersion(step).minor}, kubeadm ${step} (held), ${kubeadm}, ${tail}`;
  });
  const workers = hosts.workers.filter((w) => !w.isControlPlane && below(version(w.name), step)).map((w) => w.name);
  if (f.controlPlaneOnly) lines.push('workers: not upgraded (--control-plane-only)');
  else if (workers.length) {
    const groups = batches(workers, f.maxUnavailable).map((b) => b.join(' '));
    lines.push(
      `workers in batches of ${f.maxUnavailable} [${groups.join('] [')}]: cordon the batch, then each: kubeadm ${step} (held), ` +
        `kubeadm upgrade node${renew}, drain (timeout ${f.drainTimeoutSeconds}s, then ${f.onDrainTimeout}), kubelet + kubectl ${step} (held), restart kubelet, uncordon, Ready`,
    );
  }
  return lines;
}

export function formatSurvey(s: Survey, hosts: Hosts, f: Flags, opts: { color: boolean }): string {
  const p = painter(opts.color);
  const out: string[] = [];
  out.push(`${p('bold', 'Upgrade route')}: ${describeRoute(s.route)}`);
  if (s.server) {
    const kubelets = s.nodes.map((n) => `${n.name} ${n.version.replace(/^v/, '')}`).join(', ');
    out.push(`running: kube-apiserver ${s.server}; kubelets: ${kubelets || '(none)'}`);
  }
  if (s.route.ok && s.unfinished.length) {
    out.push(
      '',
      p('bold', `→ ${s.route.from} (interrupted)`),
      `  the upgrade to ${s.route.from} stopped before its last step on ${s.unfinished.join(', ')}: their remaining steps run first (each node's record in /var/lib/kubesmith/upgrade/)`,
    );
  }
  if (s.route.ok) {
    for (const step of s.route.steps) {
      out.push(
        '',
        p('bold', `→ ${step}`),
        '  back up first: etcd snapshot (verified) and /etc/kubernetes of the first control plane, to the admin machine',
      );
      for (const line of nodeSteps(s, hosts, step, f)) out.push(`  ${line}`);
    }
    const cni = describeCni(s.cni);
    if (cni && s.route.steps.length) out.push('', `  ${cni}`);
  }
  if (s.passed.length || s.blockers.length) out.push('', p('bold', 'Pre-checks'));
  for (const ok of s.passed) out.push(`  ${p('green', 'ok')}  ${ok}`);
  for (const b of s.blockers) out.push(`  ${p('red', 'BLOCKED')}  [${b.check}] ${b.message}`);
  out.push('');
  if (!s.route.ok) out.push(p('red', 'refused: nothing was changed on any host'));
  else if (s.blockers.length)
    out.push(p('red', `${s.blockers.length} blocker(s): the upgrade does not start; nothing was changed on any host`));
  else if (upgradeSteps(s).length === 0) out.push('nothing to upgrade');
  else out.push(p('green', 'ready: `kubesmith upgrade -i FILE` runs this route'));
  return out.join('\n') + '\n';
}

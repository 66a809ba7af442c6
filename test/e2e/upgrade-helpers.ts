/** Helpers of the upgrade e2e tests: the web Deployment + PodDisruptionBudget, its availability, certificate expiry. */
import type { Lab } from '../lab/lab.js';
import { webBudget, webDeployment } from '../lab/workloads.js';
import { ADMIN } from './etcd-lab.js';
import { kubesmith, writesIn, type CliRun } from './helpers.js';

export const kubectlOn = (lab: Lab, host: string, args: string) => lab.exec(host, `kubectl --kubeconfig ${ADMIN} ${args}`);

/** `kubectl apply -f -` of a manifest on `host`; throws with kubectl's error. */
export async function kubectlApply(lab: Lab, host: string, manifest: string): Promise<void> {
  const r = await lab.exec(host, `kubectl --kubeconfig ${ADMIN} apply -f - <<'EOF'\n${manifest}EOF`);
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

/**
 * The web Deployment (3 replicas) and its budget: the pods run the flannel image, which every node pulled already
 * (the lab's pods start once their image is present).
 */
export async function deployWeb(lab: Lab, host: string, minAvailable: number): Promise<void> {
  const images = (await kubectlOn(lab, host, "get pods -A -o jsonpath='{.items[*].spec.containers[*].image}'")).stdout.split(/\s+/);
  const image = images.find((i) => i.includes('flannel-io/flannel:'));
  if (!image) throw new Error(`no flannel image among the pods' images: ${images.join(' ')}`);
  await kubectlApply(lab, host, `${webDeployment(image)}---\n${webBudget(minAvailable)}`);
}

/** Waits (up to 30 s) until the 3 web replicas are available. */
export async function allWebAvailable(lab: Lab, host: string): Promise<boolean> {
  for (let i = 0; i < 30; i++) {
    if ((await kubectlOn(lab, host, 'get deploy web -o jsonpath={.status.availableReplicas}')).stdout.trim() === '3') return true;
    await new Promise((res) => setTimeout(res, 1000));
  }
  return false;
}

/** Samples the web Deployment's available replicas every second until stopped; stop() returns the samples. */
export function watchWebAvailable(lab: Lab, host: string): { stop: () => Promise<number[]> } {
  const seen: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const r = await kubectlOn(lab, host, 'get deploy web -o jsonpath={.status.availableReplicas}');
      if (r.code === 0 && /^\d+$/.test(r.stdout.trim())) seen.push(Number(r.stdout.trim()));
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();
  return {
    stop: async () => {
      polling = false;
      await poller;
      return seen;
    },
  };
}

/** notAfter of a control plane's API server certificate, in ms. */
export async function apiserverNotAfter(lab: Lab, host: string): Promise<number> {
  const r = await lab.exec(host, 'openssl x509 -noout -enddate -in /etc/kubernetes/pki/apiserver.crt');
  const m = /^notAfter=(.+)$/m.exec(r.stdout);
  if (!m) throw new Error(`no notAfter in: ${r.stdout}${r.stderr}`);
  return new Date(m[1]!).getTime();
}

/** `kubesmith plan upgrade`, with the writes it caused on every host and each host's journal lines since it began. */
export async function planUpgradeWrites(
  lab: Lab,
  inv: string,
  cwd: string,
): Promise<{ run: CliRun; writes: string[]; journal: (host: string) => string[] }> {
  const before = new Map(lab.hosts.map((h) => [h.name, lab.journal(h.name).length]));
  const run = await kubesmith(['plan', 'upgrade', '-i', inv], cwd);
  const journal = (host: string) => lab.journal(host).slice(before.get(host));
  const writes = lab.hosts.flatMap((h) => writesIn(journal(h.name)).map((w) => `${h.name}: ${w}`));
  return { run, writes, journal };
}

/** `kubesmith upgrade -i inv --yes ...extra` while the web Deployment's available replicas are sampled every second. */
export async function upgradeWatched(lab: Lab, inv: string, cwd: string, extra: string[]): Promise<{ run: CliRun; seen: number[] }> {
  const watch = watchWebAvailable(lab, 'cp1');
  const run = await kubesmith(['upgrade', '-i', inv, '--yes', ...extra], cwd).finally(() => watch.stop());
  return { run, seen: await watch.stop() };
}

// `kubectl exec` into a busybox pod (any registry path ending in /busybox, e.g. the seed runbook's busybox:1.28.4 or
// registry.k8s.io/e2e-test-images/busybox): the lab emulates busybox's `wget` only, answering from the cluster state
// and the pod network (pod-network.ts), so the exec works on whichever host runs kubectl, as the real one does
// through the API server and the pod's kubelet. What a busybox pod serves: the lab reads its container command the
// way `sh -c` would run the two steps a probe uses — `echo TEXT > DIR/index.html` and `httpd … -p PORT -h DIR`.
// Busybox 1.36 texts (networking/wget.c, libbb/xconnect.c): "wget: download timed out" after -T seconds (default
// 900), "wget: can't connect to remote host (IP): Connection refused", "wget: bad address 'NAME'"; exit 1.
import type { Cluster, KubeNode, KubeObject } from './cluster-state.js';
import { ExitError, sleepMs } from './lab.js';
import { podObjects } from './kubectl-view.js';
import { podPathProblem, withClusterIP } from './pod-network.js';

export function isBusyboxImage(ref: string): boolean {
  const repo = ref.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  return /(^|\/)busybox$/.test(repo);
}

/** The fields of a Pod and a Service this module reads. */
interface PodView {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec: { nodeName?: string; hostNetwork?: boolean; containers?: { image?: string; command?: string[]; args?: string[] }[] };
  status?: { phase?: string; podIP?: string; conditions?: { status?: string }[] };
}
interface ServiceView {
  metadata: { namespace?: string };
  spec: { clusterIP?: string; selector?: Record<string, string>; ports?: { port?: number; targetPort?: number | string }[] };
}
const asPod = (o: KubeObject) => o as unknown as PodView;

interface Served {
  port: number;
  body: string;
}

/** What a pod's first container serves over HTTP, from its `sh -c` command; undefined when it runs no httpd. */
export function servedBy(pod: KubeObject): Served | undefined {
  const c = (asPod(pod).spec?.containers ?? [])[0];
  const script = [...(c?.command ?? []), ...(c?.args ?? [])].join(' ');
  const httpd = /\bhttpd\b[^&;|]*?-p\s+(\d+)[^&;|]*?-h\s+(\S+)/.exec(script);
  if (!httpd) return undefined;
  const dir = httpd[2]!.replace(/\/+$/, '');
  const echo = new RegExp(`\\becho\\s+(\\S+)\\s*>\\s*${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/index\\.html`).exec(script);
  return { port: Number(httpd[1]), body: echo ? `${echo[1]}\n` : '' };
}

type Outcome = { body: string } | { error: 'refused' | 'timeout' };

const running = (p: PodView) => p.status?.phase === 'Running' && p.status?.conditions?.[0]?.status === 'True';
const selects = (sel: Record<string, string>, p: PodView) =>
  Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => p.metadata?.labels?.[k] === v);

/** The pod an address and port lead to from `from`, through a Service's ClusterIP when it is one. */
function reach(c: Cluster, from: KubeNode, ip: string, port: number): Outcome {
  const pods = podObjects(c).map(asPod);
  // the lab derives pod IPs from a hash inside the node's block: of two pods it gave one IP, the one serving the port
  const at = pods.filter((p) => !p.spec.hostNetwork && p.status?.podIP === ip && running(p));
  const direct = at.find((p) => servedBy(p as unknown as KubeObject)?.port === port) ?? at[0];
  if (direct) return answer(c, from, direct, port);
  const svc = Object.values(c.objects)
    .filter((o) => o.kind === 'Service')
    .map((o) => withClusterIP(c, o) as unknown as ServiceView)
    .find((s) => s.spec.clusterIP === ip);
  if (!svc) return { error: 'timeout' };
  // the ClusterIP exists only in kube-proxy's rules on the sending node
  const proxies = pods.filter((p) => p.metadata?.labels?.['k8s-app'] === 'kube-proxy');
  if (proxies.length && !proxies.some((p) => p.spec.nodeName === from.name && running(p))) return { error: 'timeout' };
  const sp = (svc.spec.ports ?? []).find((x) => Number(x.port) === port);
  if (!sp) return { error: 'refused' };
  const ready = pods.filter((p) => selects(svc.spec.selector ?? {}, p) && running(p) && p.metadata?.namespace === svc.metadata.namespace);
  // kube-proxy's REJECT rule for a Service without endpoints
  if (!ready.length) return { error: 'refused' };
  const target = ready.sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))[0]!;
  return answer(c, from, target, Number(sp.targetPort ?? sp.port));
}

function answer(c: Cluster, from: KubeNode, pod: PodView, port: number): Outcome {
  const to = c.nodes[pod.spec.nodeName ?? ''];
  if (!to || podPathProblem(from, to)) return { error: 'timeout' };
  const served = servedBy(pod as unknown as KubeObject);
  return served?.port === port ? { body: served.body } : { error: 'refused' };
}

/** busybox wget [-q] [-T SEC] [-O FILE] URL: only `-O -` (the body on stdout). */
function wget(c: Cluster, from: KubeNode, argv: string[]): void {
  let timeout = 900;
  let url = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-T') timeout = Number(argv[++i]);
    else if (a === '-O') {
      if (argv[++i] !== '-') throw new ExitError("the lab's busybox wget writes to stdout only (-O -)");
    } else if (a === '-q' || a === '-s') continue;
    else if (!a.startsWith('-')) url = a;
  }
  const m = /^http:\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  if (!m) throw new ExitError(`wget: not an http or ftp url: ${url}`, 1);
  if (!/^[\d.]+$/.test(m[1]!)) throw new ExitError(`wget: bad address '${m[1]}'`, 1);
  const r = reach(c, from, m[1]!, Number(m[2] ?? 80));
  if ('body' in r) return void process.stdout.write(r.body);
  if (r.error === 'refused') throw new ExitError(`wget: can't connect to remote host (${m[1]}): Connection refused`, 1);
  sleepMs(timeout * 1000);
  throw new ExitError('wget: download timed out', 1);
}

export function busyboxExec(c: Cluster, pod: PodView, command: string[]): void {
  const from = c.nodes[pod.spec.nodeName ?? ''];
  const [program, ...args] = command;
  const applet = (program ?? '').replace(/^.*\//, '');
  if (!from) throw new ExitError(`error: unable to upgrade connection: pod does not exist`);
  if (applet !== 'wget') throw new ExitError(`error: the lab's busybox emulates wget only (asked: ${program})`);
  try {
    wget(c, from, args);
  } catch (err) {
    if (!(err instanceof ExitError)) throw err;
    // the container's stderr, then kubectl's own line and the container's exit code
    process.stderr.write(`${err.message}\n`);
    throw new ExitError(`command terminated with exit code ${err.code}`, err.code);
  }
}

/**
 * `certs check` as a pure function: collected node data in, table rows + findings + a monitoring-plugin
 * status out (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). No I/O, so every rule is unit-tested.
 */
import { CAS, KUBECONFIGS, KUBELET_CONF, LEAVES, type CaName, type CertFile } from './catalog.js';
import type { Collected, KubeconfigLines } from './collect.js';
import { sharedStatus } from './shared.js';
import { certFacts, daysLeft, normalizeIp, pemCertificates, sha256Hex, signedBy, type CertFacts } from './x509.js';

export type Severity = 'ok' | 'warning' | 'critical' | 'unknown';

export interface NodeInput {
  node: string;
  controlPlane: boolean;
  /** Names and addresses the node's apiserver certificate must carry. */
  expectedSans: string[];
  collected?: Collected;
  /** Why the node could not be read (connection refused, timeout …). */
  unreachable?: string;
}

export interface CheckOptions {
  now: Date;
  warnDays: number;
  /** The controlPlaneEndpoint host, when the inventory has one: every apiserver cert must carry it. */
  endpointHost?: string;
  /** The admin machine's copy of admin.conf (.kubesmith/<cluster>/admin.conf), when it exists. */
  adminCopy?: { path: string; lines: KubeconfigLines } | undefined;
}

/** The admin machine's row in the table: a selector word, so no host can be named like it. */
export const ADMIN_NODE = 'admin';
/** A CA is replaced, never renewed: WARNING below a year of life left (or --warn-days if longer), CRITICAL below 90 days. */
export const CA_WARN_DAYS = 365;
export const CA_CRITICAL_DAYS = 90;

export interface CertRow {
  node: string;
  cert: string;
  path: string;
  /** ISO time, empty when unknown. */
  expires: string;
  daysLeft: number | null;
  /** The signing CA: a kubeadm CA name, "self-signed", or "?" when it matches none on the node. */
  ca: string;
  status: Severity;
  note?: string;
}

export interface Finding {
  severity: Exclude<Severity, 'ok'>;
  node?: string;
  message: string;
}

export interface CheckReport {
  rows: CertRow[];
  findings: Finding[];
  status: 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
  exitCode: 0 | 1 | 2 | 3;
}

const RANK: Record<Severity, number> = { ok: 0, warning: 1, unknown: 2, critical: 3 };
const worst = (a: Severity, b: Severity): Severity => (RANK[a] >= RANK[b] ? a : b);

/** CRITICAL outranks UNKNOWN (a known problem matters more than an unread node), UNKNOWN outranks WARNING. */
export function exitCodeFor(severities: Iterable<Severity>): CheckReport['exitCode'] {
  let w: Severity = 'ok';
  for (const s of severities) w = worst(w, s);
  return ({ ok: 0, warning: 1, critical: 2, unknown: 3 } as const)[w];
}

const STATUS_TEXT = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;

function validity(f: CertFacts, opts: CheckOptions, ca: boolean): { status: Severity; note?: string } {
  const left = daysLeft(f.notAfter, opts.now);
  if (opts.now < f.notBefore) return { status: 'critical', note: `not valid before ${f.notBefore.toISOString()}` };
  if (opts.now >= f.notAfter) return { status: 'critical', note: `expired ${daysLeft(opts.now, f.notAfter)} day(s) ago` };
  if (ca && left < CA_CRITICAL_DAYS) return { status: 'critical', note: `CA expires within ${CA_CRITICAL_DAYS} days (rotate it)` };
  const warn = ca ? Math.max(CA_WARN_DAYS, opts.warnDays) : opts.warnDays;
  if (left < warn) return { status: 'warning', note: `expires within ${warn} days${ca ? ' (a CA is rotated, not renewed)' : ''}` };
  return { status: 'ok' };
}

/** The cluster's CA as most control planes hold it (pki/ca.crt), for nodes and copies that have none of their own. */
function clusterCa(nodes: readonly NodeInput[]): string | undefined {
  const counts = new Map<string, { pem: string; n: number }>();
  for (const n of nodes) {
    const pem = n.controlPlane ? pemCertificates(n.collected?.certs.get('ca')?.pem ?? '')[0] : undefined;
    if (!pem) continue;
    const e = counts.get(sha256Hex(pem)) ?? { pem, n: 0 };
    counts.set(sha256Hex(pem), { pem, n: e.n + 1 });
  }
  return [...counts.values()].sort((a, b) => b.n - a.n)[0]?.pem;
}

/**
 * The control planes' admin.conf: fingerprints of their client certificates (what a handed-out copy should hold) and
 * the API servers they name (a ~/.kube/config naming another server is someone else's, not a copy of ours).
 */
function adminConfs(nodes: readonly NodeInput[]): Pick<Reference, 'admin' | 'servers'> {
  const admin = new Set<string>();
  const servers = new Set<string>();
  for (const n of nodes) {
    const lines = n.controlPlane ? n.collected?.kubeconfigs.get('admin.conf')?.lines : undefined;
    const pem = pemCertificates(lines?.clientCertData ?? '')[0];
    if (pem) admin.add(sha256Hex(pem));
    if (lines?.server) servers.add(lines.server);
  }
  return { admin, servers };
}

/** What the admin.conf copies are compared with. */
interface Reference {
  ca?: string;
  admin: Set<string>;
  servers: Set<string>;
}

class NodeChecker {
  readonly rows: CertRow[] = [];
  readonly findings: Finding[] = [];
  readonly cas = new Map<CaName, string>();

  constructor(
    readonly input: NodeInput & { collected: Collected },
    readonly opts: CheckOptions,
  ) {
    for (const ca of CAS) {
      const pem = pemCertificates(input.collected.certs.get(ca.name)?.pem ?? '')[0];
      if (pem) this.cas.set(ca.name as CaName, pem);
    }
  }

  /** Which of this node's CAs signed `pem` (or the one expected), for the CA column. */
  private signer(pem: string, f: CertFacts, expected?: CaName, caPem?: string): { ca: string; ok: boolean } {
    const ref = caPem ?? (expected ? this.cas.get(expected) : undefined);
    if (ref && signedBy(pem, ref)) return { ca: expected ?? 'ca', ok: true };
    for (const [name, ca] of this.cas) if (signedBy(pem, ca)) return { ca: name, ok: !expected };
    // no CA to compare with (a worker read alone with --limit): unknown, not wrong
    return { ca: `? (issuer CN=${f.issuerCN})`, ok: !ref && this.cas.size === 0 };
  }

  row(file: CertFile, pem: string | undefined, extra?: { caPem?: string; expected?: CaName | 'none' }): CertFacts | undefined {
    const node = this.input.node;
    if (!pem) {
      if (file.optional) return undefined;
      this.rows.push({
        node,
        cert: file.name,
        path: file.path,
        expires: '',
        daysLeft: null,
        ca: file.ca ?? '-',
        status: 'critical',
        note: 'missing',
      });
      this.findings.push({ severity: 'critical', node, message: `${file.name} is missing (${file.path})` });
      return undefined;
    }
    let f: CertFacts;
    try {
      f = certFacts(pem);
    } catch (err) {
      this.rows.push({
        node,
        cert: file.name,
        path: file.path,
        expires: '',
        daysLeft: null,
        ca: '?',
        status: 'critical',
        note: 'unreadable certificate',
      });
      this.findings.push({ severity: 'critical', node, message: `${file.name}: cannot parse the certificate (${(err as Error).message})` });
      return undefined;
    }
    const v = validity(f, this.opts, file.kind === 'ca');
    const expected = extra?.expected === 'none' ? undefined : (extra?.expected ?? file.ca);
    const s =
      file.kind === 'ca'
        ? { ca: '-', ok: true }
        : extra?.expected === 'none' // the kubelet's own serving cert: self-signed unless serverTLSBootstrap
          ? { ca: extra.caPem && signedBy(pem, extra.caPem) ? 'ca' : 'self-signed', ok: true }
          : this.signer(pem, f, expected, extra?.caPem);
    let status = v.status;
    const notes = v.note ? [v.note] : [];
    if (!s.ok) {
      status = 'critical';
      notes.push(`not signed by this node's ${expected ?? 'CA'}`);
    }
    this.rows.push({
      node,
      cert: file.name,
      path: file.path,
      expires: f.notAfter.toISOString(),
      daysLeft: daysLeft(f.notAfter, this.opts.now),
      ca: s.ca,
      status,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    });
    if (status !== 'ok')
      this.findings.push({ severity: status === 'warning' ? 'warning' : 'critical', node, message: `${file.name}: ${notes.join('; ')}` });
    return f;
  }

  controlPlane(): void {
    const c = this.input.collected;
    for (const ca of CAS) this.row(ca, pemCertificates(c.certs.get(ca.name)?.pem ?? '')[0]);
    for (const leaf of LEAVES) {
      const f = this.row(leaf, pemCertificates(c.certs.get(leaf.name)?.pem ?? '')[0]);
      if (leaf.name === 'apiserver' && f) this.sans(f);
    }
    for (const kc of KUBECONFIGS) this.kubeconfig(kc);
    this.keys();
  }

  private sans(f: CertFacts): void {
    const want = [...this.input.expectedSans, ...(this.opts.endpointHost ? [this.opts.endpointHost] : [])];
    const have = new Set([...f.dnsNames.map((d) => d.toLowerCase()), ...f.ips]);
    const lacking = [...new Set(want)].filter((w) => !have.has(/^[\d.]+$|:/.test(w) ? normalizeIp(w) : w.toLowerCase()));
    if (!lacking.length) return;
    const row = this.rows.findLast((r) => r.cert === 'apiserver')!;
    row.status = 'critical';
    row.note = [row.note, `missing SAN ${lacking.join(', ')}`].filter(Boolean).join('; ');
    this.findings.push({ severity: 'critical', node: this.input.node, message: `apiserver certificate lacks SAN ${lacking.join(', ')}` });
  }

  kubeconfig(kc: CertFile): void {
    const entry = this.input.collected.kubeconfigs.get(kc.name);
    if (!entry) return void this.row(kc, undefined);
    const { lines } = entry;
    const caPem = this.cas.get('ca');
    if (lines.caData && caPem && sha256Hex(pemCertificates(lines.caData)[0] ?? '') !== sha256Hex(caPem)) {
      this.findings.push({ severity: 'critical', node: this.input.node, message: `${kc.name}: embedded CA differs from pki/ca.crt` });
    }
    if (lines.clientCertData) this.row(kc, pemCertificates(lines.clientCertData)[0]);
    else if (!lines.clientCertFile) this.row(kc, undefined);
  }

  /**
   * A copy of admin.conf that kubesmith handed out (root's and the SSH user's ~/.kube/config, the admin machine's):
   * its client certificate like any other, the CA it trusts against the cluster's, and a note when it is not the
   * control planes' current admin.conf (a copy left behind by a renewal expires on its own date).
   */
  copy(name: string, entry: { path: string; lines: KubeconfigLines }, ref: Reference, ours = false): void {
    const pem = pemCertificates(entry.lines.clientCertData ?? '')[0];
    if (!pem) return; // not a client-certificate kubeconfig (a token or exec plugin): nothing of ours to watch
    if (!ours && ref.servers.size && entry.lines.server && !ref.servers.has(entry.lines.server)) return; // another cluster's
    const file: CertFile = { name, path: entry.path, kind: 'kubeconfig', ca: 'ca', renewable: false };
    const caPem = ref.ca ?? this.cas.get('ca');
    if (!this.row(file, pem, caPem ? { caPem } : undefined)) return;
    const row = this.rows.at(-1)!;
    const trusted = pemCertificates(entry.lines.caData ?? '')[0];
    if (trusted && caPem && sha256Hex(trusted) !== sha256Hex(caPem)) {
      row.status = 'critical';
      row.note = [row.note, 'trusts another CA than the cluster'].filter(Boolean).join('; ');
      this.findings.push({
        severity: 'critical',
        node: this.input.node,
        message: `${name}: embedded CA differs from the cluster's pki/ca.crt`,
      });
    }
    if (ref.admin.size && !ref.admin.has(sha256Hex(pem))) row.note = [row.note, 'not the current admin.conf'].filter(Boolean).join('; ');
  }

  copies(ref: Reference): void {
    for (const [name, entry] of this.input.collected.kubeconfigs) if (name.startsWith('~')) this.copy(name, entry, ref);
  }

  /** Each CA key matches its certificate; sa.key matches sa.pub; keys are 0600. */
  private keys(): void {
    const c = this.input.collected;
    const pairs: [string, string | undefined][] = [
      ['ca.key', this.cas.get('ca')],
      ['front-proxy-ca.key', this.cas.get('front-proxy-ca')],
      ['etcd/ca.key', this.cas.get('etcd-ca')],
    ];
    for (const [key, caPem] of pairs) {
      const pub = c.pubkeys.get(key);
      if (!pub) {
        this.findings.push({ severity: 'critical', node: this.input.node, message: `${key} is missing (kubeadm cannot renew without it)` });
        continue;
      }
      if (caPem && sha256Hex(pub.der) !== certFacts(caPem).publicKeyFingerprint) {
        this.findings.push({ severity: 'critical', node: this.input.node, message: `${key} does not match its certificate` });
      }
    }
    const saKey = c.pubkeys.get('sa.key');
    const saPub = c.pubkeys.get('sa.pub');
    if (!saKey || !saPub)
      this.findings.push({
        severity: 'critical',
        node: this.input.node,
        message: `service-account key pair incomplete (${!saKey ? 'sa.key' : 'sa.pub'} missing)`,
      });
    else if (!saKey.der.equals(saPub.der))
      this.findings.push({ severity: 'critical', node: this.input.node, message: 'sa.key does not match sa.pub' });
    for (const [name, pub] of c.pubkeys) {
      if (name.endsWith('.key') && pub.mode && pub.mode !== '600') {
        this.findings.push({ severity: 'warning', node: this.input.node, message: `${name} has mode ${pub.mode} (want 600)` });
      }
    }
  }

  kubelet(): void {
    const c = this.input.collected;
    const conf = c.kubeconfigs.get(KUBELET_CONF.name);
    if (!conf) return void this.row(KUBELET_CONF, undefined);
    const clusterCa = conf.lines.caData ? pemCertificates(conf.lines.caData)[0] : undefined;
    const client = conf.lines.clientCertData ?? c.certs.get('kubelet-client')?.pem;
    const file: CertFile = {
      name: 'kubelet-client',
      path: conf.lines.clientCertFile ?? KUBELET_CONF.path,
      kind: 'kubelet',
      ca: 'ca',
      renewable: false,
    };
    this.row(file, pemCertificates(client ?? '')[0], clusterCa ? { caPem: clusterCa } : undefined);
    if (conf.lines.clientCertData)
      this.findings.push({
        severity: 'warning',
        node: this.input.node,
        message:
          'kubelet.conf embeds its client certificate (kubeadm init before 1.17): the kubelet never rotates it; `kubesmith certs renew` points it at kubelet-client-current.pem',
      });
    const serving = c.certs.get('kubelet-serving');
    if (serving) {
      const sf: CertFile = { name: 'kubelet-serving', path: serving.path, kind: 'kubelet', renewable: false, optional: true };
      this.row(sf, pemCertificates(serving.pem)[0], clusterCa ? { caPem: clusterCa, expected: 'none' } : { expected: 'none' });
    }
  }
}

function unreachable(n: NodeInput): { row: CertRow; finding: Finding } {
  const why = n.unreachable ?? 'no data';
  return {
    finding: { severity: 'unknown', node: n.node, message: `unreachable: ${why}` },
    row: { node: n.node, cert: '*', path: '', expires: '', daysLeft: null, ca: '', status: 'unknown', note: why },
  };
}

/** The shared trust roots compared across control planes. */
function sharedFindings(cps: { node: string; collected: Collected }[]): Finding[] {
  if (cps.length < 2) return [];
  const findings: Finding[] = [];
  for (const s of sharedStatus(cps)) {
    if (!s.majority && s.differing.length)
      findings.push({
        severity: 'critical',
        message: `${s.file.name}: control planes disagree and no version has a majority (${s.differing.join(', ')})`,
      });
    else if (s.differing.length)
      findings.push({
        severity: 'critical',
        message: `${s.file.name} differs on ${s.differing.join(', ')} from the majority (${s.holders.join(', ')})`,
      });
    if (s.missing.length && s.holders.length)
      findings.push({ severity: 'critical', message: `${s.file.name} missing on ${s.missing.join(', ')}` });
  }
  return findings;
}

/** The admin machine's copy, checked like a node's (a pseudo-node with nothing but that kubeconfig). */
function adminMachine(copy: NonNullable<CheckOptions['adminCopy']>, opts: CheckOptions, ref: Reference): NodeChecker {
  const collected: Collected = {
    certs: new Map(),
    kubeconfigs: new Map(),
    pubkeys: new Map(),
    missing: new Map(),
    errors: [],
    complete: true,
  };
  const checker = new NodeChecker({ node: ADMIN_NODE, controlPlane: false, expectedSans: [], collected }, opts);
  checker.copy('admin.conf', copy, ref, true); // kubesmith wrote it: checked whatever server it names
  return checker;
}

export function analyze(nodes: NodeInput[], opts: CheckOptions): CheckReport {
  const rows: CertRow[] = [];
  const findings: Finding[] = [];
  const cps: { node: string; collected: Collected }[] = [];
  const ca = clusterCa(nodes);
  const ref: Reference = { ...adminConfs(nodes), ...(ca ? { ca } : {}) };
  for (const n of nodes) {
    if (!n.collected || n.unreachable) {
      const u = unreachable(n);
      rows.push(u.row);
      findings.push(u.finding);
      continue;
    }
    // judged at the node's own clock, as its TLS peers judge them (the admin machine's when the node did not say)
    const hostNow = n.collected!.hostNow;
    const checker = new NodeChecker(n as NodeInput & { collected: Collected }, hostNow ? { ...opts, now: new Date(hostNow * 1000) } : opts);
    if (!n.collected.complete) checker.findings.push({ severity: 'unknown', node: n.node, message: 'the certificate read stopped early' });
    for (const e of n.collected.errors) checker.findings.push({ severity: 'critical', node: n.node, message: e });
    if (n.controlPlane) {
      checker.controlPlane();
      cps.push({ node: n.node, collected: n.collected });
    }
    checker.kubelet();
    checker.copies(ref);
    rows.push(...checker.rows);
    findings.push(...checker.findings);
  }
  if (opts.adminCopy) {
    // a client certificate is judged by the API server it is presented to: at a control plane's clock when known
    const apiNow = nodes.find((n) => n.controlPlane && n.collected?.hostNow)?.collected?.hostNow;
    const admin = adminMachine(opts.adminCopy, apiNow ? { ...opts, now: new Date(apiNow * 1000) } : opts, ref);
    rows.push(...admin.rows);
    findings.push(...admin.findings);
  }
  findings.push(...sharedFindings(cps));
  const exitCode = exitCodeFor(findings.map((f) => f.severity));
  return { rows, findings, status: STATUS_TEXT[exitCode], exitCode };
}

/** Layer 3, certificates: validity periods kubeadm can take, in a sane order, and guard rails against decades-long certificates. */
import { tryKubeVersion } from '../data/versions.js';
import type { PathSegment } from './issues.js';
import type { Rule } from './rules.js';
import {
  CA_VALIDITY_LIMIT,
  describeDuration,
  durationSeconds,
  KUBEADM_CA_VALIDITY,
  KUBEADM_VALIDITY,
  LEAF_VALIDITY_LIMIT,
  VALIDITY_MIN_MINOR,
} from './validity.js';

const CERTS: PathSegment[] = ['spec', 'certificates'];
const error = (path: PathSegment[], message: string) => ({ severity: 'error' as const, path, message });
const FIELDS = [
  { key: 'validity', kubeadm: 'certificateValidityPeriod', limit: LEAF_VALIDITY_LIMIT, what: 'certificates' },
  { key: 'caValidity', kubeadm: 'caCertificateValidityPeriod', limit: CA_VALIDITY_LIMIT, what: 'CAs' },
] as const;

/** kubeadm before 1.31 (config v1beta3) has no validity fields: it would refuse the file, so we refuse the inventory. */
export const certificateValidityKubeadm: Rule = {
  name: 'certificate-validity-kubeadm-version',
  check(spec) {
    const v = tryKubeVersion(spec.kubernetes.version);
    if (!v || v.minor >= VALIDITY_MIN_MINOR) return [];
    return FIELDS.filter((f) => spec.certificates[f.key] !== undefined).map((f) =>
      error(
        [...CERTS, f.key],
        `needs Kubernetes 1.${VALIDITY_MIN_MINOR} or newer: kubeadm ${spec.kubernetes.version} (config kubeadm.k8s.io/v1beta3) has no ${f.kubeadm}; remove the field (kubeadm then issues ${f.key === 'validity' ? '1-year certificates' : '10-year CAs'}) or raise spec.kubernetes.version`,
      ),
    );
  },
};

/** Over 5 years for a certificate or 30 for a CA only with spec.certificates.acknowledgeLongValidity: true. */
export const certificateValidityLong: Rule = {
  name: 'certificate-validity-long',
  check(spec) {
    const c = spec.certificates;
    if (c.acknowledgeLongValidity) return [];
    return FIELDS.filter((f) => c[f.key] !== undefined && durationSeconds(c[f.key]!) > durationSeconds(f.limit)).map((f) =>
      error(
        [...CERTS, f.key],
        `${c[f.key]} (${describeDuration(c[f.key]!)}) is longer than ${f.limit} (${describeDuration(f.limit)}): a stolen key of one of these ${f.what} would stay valid that long, and the yearly renewal that proves the procedure works never happens; choose a shorter period, or set spec.certificates.acknowledgeLongValidity: true to accept it`,
      ),
    );
  },
};

/** A certificate cannot usefully outlive the CA that signs it (kubeadm's defaults count for an unset field). */
export const certificateValidityOrder: Rule = {
  name: 'certificate-validity-order',
  check(spec) {
    const c = spec.certificates;
    if (c.validity === undefined && c.caValidity === undefined) return [];
    const leaf = c.validity ?? KUBEADM_VALIDITY;
    const ca = c.caValidity ?? KUBEADM_CA_VALIDITY;
    if (durationSeconds(leaf) <= durationSeconds(ca)) return [];
    const blamed = c.validity !== undefined ? 'validity' : 'caValidity';
    return [
      error(
        [...CERTS, blamed],
        `certificates valid for ${leaf} would outlive their CA (${ca}${c.caValidity === undefined ? ", kubeadm's default" : ''}): TLS clients refuse them once the CA expires; make validity at most caValidity`,
      ),
    ];
  },
};

export const CERTIFICATE_RULES: readonly Rule[] = [certificateValidityKubeadm, certificateValidityLong, certificateValidityOrder];

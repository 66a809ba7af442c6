/**
 * Certificate validity periods as kubeadm takes them: Go durations in hours, minutes and seconds ("8760h",
 * "720h30m"), written into ClusterConfiguration (kubeadm.k8s.io/v1beta4, kubeadm 1.31+) as kubeadm prints them
 * ("8760h0m0s"). Pure: used by the schema, the rules and the derived values.
 */

/** Hours, minutes and seconds, in that order, at least one (Go's time.ParseDuration units kubeadm prints). */
export const GO_DURATION = /^(?=\d)(?:(\d{1,7})h)?(?:(\d{1,9})m)?(?:(\d{1,11})s)?$/;

/** kubeadm's defaults: leaf certificates one year, CAs ten years (ClusterConfiguration v1beta4). */
export const KUBEADM_VALIDITY = '8760h';
export const KUBEADM_CA_VALIDITY = '87600h';
/** The first minor whose kubeadm has certificateValidityPeriod / caCertificateValidityPeriod (v1beta4). */
export const VALIDITY_MIN_MINOR = 31;
/** Guard rails: longer needs spec.certificates.acknowledgeLongValidity (5 years for a leaf, 30 for a CA). */
export const LEAF_VALIDITY_LIMIT = '43800h';
export const CA_VALIDITY_LIMIT = '262800h';

/** Seconds of a duration this module accepts; NaN for anything else. */
export function durationSeconds(text: string): number {
  const m = GO_DURATION.exec(text);
  if (!m || !text) return Number.NaN;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** The form kubeadm writes back (Go's Duration.String for whole seconds): 8760h0m0s, 30m0s, 45s. */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h${m}m${s}s`;
  return m ? `${m}m${s}s` : `${s}s`;
}

/** "8760h" → "1 year", "43800h" → "5 years", "2000h" → "83 days": how the rules explain a period. */
export function describeDuration(text: string): string {
  const days = durationSeconds(text) / 86_400;
  if (days >= 365 && days % 365 === 0) return `${days / 365} year${days === 365 ? '' : 's'}`;
  return `${Math.floor(days * 10) / 10} days`;
}

// Pre-generated private keys for the lab's kubeadm. RSA generation costs ~0.1-0.3 s per key here and an init
// needs 16, so a lab may fill $LAB_CLUSTER_DIR/keypool/<algorithm>/*.pem ahead of time: each key is claimed by an
// atomic rename and used exactly once; an empty pool means kubeadm generates as usual.
//  - inside a host: `lab-node-sync keypool fill N [ALGORITHM]`
//  - on the machine (lab up, tests): seedKeyPool(clusterDir, n) copies keys from a machine-wide cache that is
//    generated once (default <repo>/dist/.kube-emu-test/keys; keys are reused across labs, never within one).
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type PoolAlgorithm = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'ECDSA-P256';

export function generatePem(alg: PoolAlgorithm): string {
  if (alg === 'ECDSA-P256') {
    return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  }
  return generateKeyPairSync('rsa', { modulusLength: Number(alg.split('-')[1]) })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
}

export function claimPooledKey(clusterDir: string, alg: PoolAlgorithm): string | undefined {
  const dir = join(clusterDir, 'keypool', alg);
  if (!existsSync(dir)) return undefined;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.pem')) continue;
    const claimed = join(dir, `${f}.${process.pid}.claimed`);
    try {
      renameSync(join(dir, f), claimed);
    } catch {
      continue; // another process took it
    }
    const pem = readFileSync(claimed, 'utf8');
    rmSync(claimed, { force: true });
    return pem;
  }
  return undefined;
}

const pemFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.pem'));

function addKeys(dir: string, count: number, alg: PoolAlgorithm): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const tmp = join(dir, `.${process.pid}-${i}.tmp`);
    writeFileSync(tmp, generatePem(alg), { mode: 0o600 });
    renameSync(tmp, join(dir, `${process.pid}-${Date.now()}-${i}.pem`));
  }
}

/** Generate `count` new keys into the pool; returns how many the pool holds. */
export function fillKeyPool(clusterDir: string, alg: PoolAlgorithm, count: number): number {
  const dir = join(clusterDir, 'keypool', alg);
  addKeys(dir, count, alg);
  return pemFiles(dir).length;
}

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (d !== '/' && !(existsSync(join(d, 'package.json')) && existsSync(join(d, 'test/lab')))) d = dirname(d);
  return d;
}

export const DEFAULT_KEY_CACHE = join(repoRoot(), 'dist/.kube-emu-test/keys');

/** Copy `count` keys from the machine-wide cache (topped up first) into a lab's pool. Machine side only. */
export function seedKeyPool(
  clusterDir: string,
  count: number,
  alg: PoolAlgorithm = 'RSA-2048',
  cache = join(DEFAULT_KEY_CACHE, alg),
): void {
  mkdirSync(cache, { recursive: true });
  const missing = count - pemFiles(cache).length;
  if (missing > 0) addKeys(cache, missing, alg);
  const pool = join(clusterDir, 'keypool', alg);
  mkdirSync(pool, { recursive: true });
  for (const f of pemFiles(cache).slice(0, count)) copyFileSync(join(cache, f), join(pool, f));
}

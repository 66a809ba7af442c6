import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A real armored OpenPGP public key (the lab's repository key, made by GnuPG): what a good key download returns. */
export const LAB_KEY = readFileSync(join(import.meta.dirname, '..', '..', '..', 'lab', 'emulators', 'keys', 'lab-repo-key.asc'));

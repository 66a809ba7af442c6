/** An expired cluster comes back: one control plane + one worker (the suite is in helpers/certs-revive.ts). */
import { reviveSuite } from './helpers/certs-revive.js';

reviveSuite('e2e-certs-revive', ['cp1'], ['w1']);

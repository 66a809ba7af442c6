/** An expired cluster comes back: 3 control planes + 2 workers, renewed one control plane at a time (helpers/certs-revive.ts). */
import { reviveSuite } from './helpers/certs-revive.js';

reviveSuite('e2e-certs-revive-ha', ['cp1', 'cp2', 'cp3'], ['w1', 'w2']);

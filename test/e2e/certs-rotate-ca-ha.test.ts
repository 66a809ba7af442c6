/** certs rotate-ca on 3 control planes + 2 workers, one node at a time (the suite is in helpers/certs-rotate.ts). */
import { rotateCaSuite } from './helpers/certs-rotate.js';

rotateCaSuite('e2e-rotate-ca-ha', ['cp1', 'cp2', 'cp3'], ['w1', 'w2']);

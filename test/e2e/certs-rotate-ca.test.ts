/** certs rotate-ca on 1 control plane + 1 worker with serverTLSBootstrap (the suite is in helpers/certs-rotate.ts). */
import { rotateCaSuite } from './helpers/certs-rotate.js';

rotateCaSuite('e2e-rotate-ca', ['cp1'], ['w1'], true);

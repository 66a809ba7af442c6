/**
 * An expired cluster comes back: one control plane + one worker (the suite is in helpers/certs-revive.ts), the control
 * plane made by a kubeadm init before 1.17 (its kubelet.conf embeds the client certificate).
 */
import { reviveSuite } from './helpers/certs-revive.js';

reviveSuite('e2e-certs-revive', ['cp1'], ['w1'], { embeddedKubeletConf: true });

/**
 * The only objects `doctor` creates: a namespace of its own (labelled as doctor's), one test pod pinned to each node
 * (spec.nodeName: no scheduler, tolerating every taint) serving a marker page on PROBE_PORT, and one ClusterIP
 * Service in front of each pod. The seed runbook's connectivity check is a busybox pod; the default image is the
 * Kubernetes e2e suite's busybox on registry.k8s.io (kubernetes test/utils/image/manifest.go `BusyBox`), the
 * registry every kubeadm cluster already pulls from or mirrors; `--probe-image` pins another.
 */
export const PROBE_NAMESPACE = 'kubesmith-doctor';
export const DEFAULT_PROBE_IMAGE = 'registry.k8s.io/e2e-test-images/busybox:1.36.1-1';
export const PROBE_PORT = 8080;
/** What each pod serves: a probe passes only when this text comes back (not just any answer on that address). */
export const PROBE_MARKER = 'kubesmith-doctor-probe';

/** On the namespace and every object in it: cleanup deletes the namespace only when it carries these. */
export const PROBE_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/managed-by': 'kubesmith',
  'kubesmith.io/purpose': 'doctor-probe',
};
/** The node a probe pod runs on, as a label (pod and Service names are by index: node names may not fit a Service name). */
export const PROBE_NODE_LABEL = 'kubesmith.io/doctor-node';
/** A pod left behind by a killed run stops by itself after this long (the namespace goes at the next run). */
export const PROBE_DEADLINE_SECONDS = 900;

export const probeName = (i: number): string => `probe-${i}`;

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  spec?: Record<string, unknown>;
}

function probePod(node: string, i: number, image: string): Obj {
  const serve = `mkdir -p /tmp/www && echo ${PROBE_MARKER} > /tmp/www/index.html && exec httpd -f -p ${PROBE_PORT} -h /tmp/www`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: probeName(i),
      namespace: PROBE_NAMESPACE,
      labels: { ...PROBE_LABELS, [PROBE_NODE_LABEL]: node, 'kubesmith.io/doctor-probe': probeName(i) },
    },
    spec: {
      nodeName: node,
      tolerations: [{ operator: 'Exists' }],
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      activeDeadlineSeconds: PROBE_DEADLINE_SECONDS,
      automountServiceAccountToken: false,
      // admitted under the Pod Security "restricted" level too: nobody, no privileges, read-only root
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'www', emptyDir: { sizeLimit: '1Mi' } }],
      containers: [
        {
          name: 'probe',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', serve],
          ports: [{ containerPort: PROBE_PORT, protocol: 'TCP' }],
          volumeMounts: [{ name: 'www', mountPath: '/tmp/www' }],
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}

function probeService(i: number): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: probeName(i), namespace: PROBE_NAMESPACE, labels: { ...PROBE_LABELS } },
    spec: {
      type: 'ClusterIP',
      selector: { 'kubesmith.io/doctor-probe': probeName(i) },
      ports: [{ port: 80, targetPort: PROBE_PORT, protocol: 'TCP' }],
    },
  };
}

/** Namespace, then a pod and a Service per node, as one List for `kubectl apply -f -`. */
export function probeObjects(nodes: readonly string[], image: string): { apiVersion: 'v1'; kind: 'List'; items: Obj[] } {
  const ns: Obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PROBE_NAMESPACE, labels: { ...PROBE_LABELS } } };
  return { apiVersion: 'v1', kind: 'List', items: [ns, ...nodes.flatMap((n, i) => [probePod(n, i, image), probeService(i)])] };
}

/** Whether a namespace's labels say doctor made it (nothing else is ever deleted). */
export const isProbeNamespace = (labels: Record<string, string> | undefined): boolean =>
  Object.entries(PROBE_LABELS).every(([k, v]) => labels?.[k] === v);

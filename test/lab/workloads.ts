/**
 * Workloads the lab's tests run on an emulated cluster: a Deployment "web" (default namespace, label app=web) and its
 * PodDisruptionBudget, the shape drains and upgrades are proven against.
 */

/** policy/v1 PodDisruptionBudget "web" selecting app=web. */
export const webBudget = (minAvailable: number): string => `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: default
spec:
  minAvailable: ${minAvailable}
  selector:
    matchLabels: {app: web}
`;

/** apps/v1 Deployment "web" of `replicas` pods running `image` (the lab starts a pod once its image is on the node). */
export const webDeployment = (image: string, replicas = 3): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
`;

/** apps/v1 Deployment "shop" of `replicas` pods running `image`, tolerating the control-plane taint (small labs). */
export const shopDeployment = (image: string, replicas = 2): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop, namespace: default }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      tolerations: [{ key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule }]
      containers: [{ name: shop, image: ${image} }]
`;

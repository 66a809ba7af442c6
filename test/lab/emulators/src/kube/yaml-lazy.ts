// The `yaml` package, loaded on first use: importing it costs ~30 ms per process, and the hot calls (lab-node-sync,
// kubectl get, the kubeconfig fast path) never need it. Same module instance as `import YAML from "yaml"`.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let mod: typeof Yaml | undefined;
const load = (): typeof Yaml => (mod ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

const YAML = {
  parse: (src: string): any => load().parse(src),
  stringify: (value: unknown): string => load().stringify(value),
  parseAllDocuments: (src: string) => load().parseAllDocuments(src),
};
export default YAML;

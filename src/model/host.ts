import type { HostSpec, Role } from '../inventory/schema.js';
import type { Facts } from './facts.js';
import type { Distro } from '../distro/types.js';

/** A host = declared inventory data + facts found at run time + the distro strategy chosen from them. */
export class Host {
  facts?: Facts | undefined;
  distro?: Distro;

  constructor(readonly spec: HostSpec) {}

  get name(): string {
    return this.spec.name;
  }
  get address(): string {
    return this.spec.address;
  }
  /** Node IP / advertise address. */
  get internalAddress(): string {
    return this.spec.internalAddress ?? this.spec.address;
  }
  get roles(): readonly Role[] {
    return this.spec.roles;
  }
  get isControlPlane(): boolean {
    return this.spec.roles.includes('control-plane');
  }
  get isWorker(): boolean {
    return this.spec.roles.includes('worker');
  }

  /** Facts, or a clear error when a task runs before facts were gathered. */
  requireFacts(): Facts {
    if (!this.facts) throw new Error(`${this.name}: facts not gathered yet (run facts.gather first)`);
    return this.facts;
  }
  requireDistro(): Distro {
    if (!this.distro) throw new Error(`${this.name}: OS not detected yet (run facts.gather first)`);
    return this.distro;
  }
}

/** Host selectors used by playbooks. */
export type HostSelector = 'all' | 'control-plane' | 'worker' | 'first-control-plane' | 'other-control-planes' | 'workers-only' | 'admin';

/**
 * Words that select a group of hosts: the playbook selectors, the roles --limit accepts, and their plurals. A host
 * may not be named like one (inventory rule host-name-not-selector), so a name always means exactly one host.
 */
export const SELECTOR_WORDS: readonly string[] = [
  'all',
  'control-plane',
  'control-planes',
  'worker',
  'workers',
  'first-control-plane',
  'other-control-planes',
  'workers-only',
  'admin',
];

export class Hosts {
  constructor(readonly all: readonly Host[]) {}

  get controlPlanes(): Host[] {
    return this.all.filter((h) => h.isControlPlane);
  }
  get workers(): Host[] {
    return this.all.filter((h) => h.isWorker);
  }
  /** The first control-plane host in inventory order: where init runs and kubectl is reached. */
  get firstControlPlane(): Host {
    const cp = this.controlPlanes[0];
    if (!cp) throw new Error('the inventory has no control-plane host');
    return cp;
  }
  byName(name: string): Host | undefined {
    return this.all.find((h) => h.name === name);
  }
  select(selector: HostSelector): Host[] {
    switch (selector) {
      case 'all':
        return [...this.all];
      case 'control-plane':
        return this.controlPlanes;
      case 'worker':
        return this.workers;
      case 'workers-only':
        return this.all.filter((h) => h.isWorker && !h.isControlPlane);
      case 'first-control-plane':
        return [this.firstControlPlane];
      case 'other-control-planes':
        return this.controlPlanes.slice(1);
      case 'admin':
        return [];
    }
  }
  /** Exactly the hosts with these names (never a role): what commands taking a node name run on. */
  named(names: readonly string[]): Hosts {
    return new Hosts(this.all.filter((h) => names.includes(h.name)));
  }
  /** Narrow to hosts named in --limit (names or roles). */
  limit(names: readonly string[] | undefined): Hosts {
    if (!names || names.length === 0) return this;
    return new Hosts(this.all.filter((h) => names.includes(h.name) || h.roles.some((r) => names.includes(r))));
  }
}

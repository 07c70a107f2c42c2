import type { MachineDefinition } from './definition.js';
import { milestoneV1 } from './milestone.v1.js';
import { milestoneV2 } from './milestone.v2.js';
import { milestoneV3 } from './milestone.v3.js';
import { payoutV1 } from './payout.v1.js';
import { projectV1 } from './project.v1.js';
import { projectV2 } from './project.v2.js';

// Every version ever released stays here: an instance keeps the rules it started with (docs/concepts.md "versioned").
const all: readonly MachineDefinition[] = [projectV1, projectV2, milestoneV1, milestoneV2, milestoneV3, payoutV1];

export type MachineName = 'project' | 'milestone' | 'payout' | 'adjustment';

export function machineVersions(name: string): MachineDefinition[] {
  return all.filter((d) => d.name === name).sort((a, b) => a.version - b.version);
}

/** The version new instances start on: the latest, unless configuration pins an older one (staged rollout). */
export function currentMachine(name: MachineName, pinnedVersion?: number): MachineDefinition {
  if (pinnedVersion !== undefined) return pinnedMachine(name, pinnedVersion);
  const versions = machineVersions(name);
  const latest = versions[versions.length - 1];
  if (!latest) throw new Error(`no machine registered under ${name}`);
  return latest;
}

/** A snapshot pinned to an unknown version is corrupt data, not a client mistake: fail loudly (STYLE §6). */
export function pinnedMachine(name: string, version: number): MachineDefinition {
  const found = all.find((d) => d.name === name && d.version === version);
  if (!found) throw new Error(`machine ${name}@${version} is not registered`);
  return found;
}

export function registeredMachines(): readonly MachineDefinition[] {
  return all;
}

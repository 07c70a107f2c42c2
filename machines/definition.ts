import type { AnyStateMachine } from 'xstate';
import type { z } from 'zod';
import type { EventRoles } from './roles.js';

/** A registered machine version: instances pin `name@version` and keep its rules until migrated. */
export interface MachineDefinition {
  name: string;
  version: number;
  machine: AnyStateMachine;
  roles: EventRoles;
  /** Payload schema of each event a client may send (system events are absent: clients cannot send them). */
  payloads: Readonly<Record<string, z.ZodObject>>;
}

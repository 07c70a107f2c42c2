import { ApiError } from './api-error.js';

/** What a refusal says beyond its rule, message and details. */
export interface RefusalContext {
  /** The state value of the instance that refused. */
  state?: unknown;
  /** For a refusal by a related instance (a project refusing the event a milestone derives for it). */
  related?: { machine: string; id: string; state: unknown; event: string };
  /** Facts the engine adds to the details from the database before answering (machines/rules.ts RuleLookup). */
  lookup?: { kind: string; instanceId: string };
}

/**
 * 422 `guard_failed` (docs/api.md "Errors (v1.1)"): the event is known in this state but a rule refuses it. Always
 * names the rule (a stable snake_case id listed in docs/rules.md) and the values it compared.
 */
export class GuardFailedError extends ApiError {
  readonly lookup: RefusalContext['lookup'];

  constructor(
    readonly rule: string,
    message: string,
    details: Record<string, unknown>,
    context: RefusalContext = {},
  ) {
    const { lookup, ...fields } = context;
    super(422, 'guard_failed', message, details, { rule, ...fields });
    this.lookup = lookup;
  }

  /** The same refusal with more details (filled in from the database). */
  withDetails(more: Record<string, unknown>): GuardFailedError {
    const { rule: _rule, ...fields } = this.fields;
    return new GuardFailedError(this.rule, this.message, { ...this.details, ...more }, fields);
  }
}

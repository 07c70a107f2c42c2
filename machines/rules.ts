// Guards as named rules (STYLE §2, docs/api.md "Errors (v1.1)"). A rule is the guard's predicate plus what a refusal
// tells the caller: a stable snake_case id, a message stating the values it compared, and those values as
// details. Machine versions register rules, not bare predicates, so the engine can say which rule refused an
// event and can judge, for availability, which rules to evaluate without a payload.

export interface GuardArgs<C, E> {
  context: C;
  event: E;
}

/**
 * How availability treats the rule (docs/api.md "Views (v1.1)"):
 * - `role`: who sends the event. The engine checks roles before any rule and answers 403, never 422.
 * - `state`: reads the context and the sender's role, never the payload; evaluated for availability.
 * - `payload`: reads the payload; availability assumes some valid payload passes and never guesses one.
 */
export type RuleKind = 'role' | 'state' | 'payload';

/** Facts the machine cannot know (it is pure), added to a refusal's details by the engine from the database. */
export type RuleLookup = 'pendingChildren';

// Methods, not function properties: a rule written for a version's context stays assignable to the
// registry's erased Rule<unknown, unknown> (method parameters are compared bivariantly).
export interface Rule<C, E> {
  /** Stable snake_case id, reported as `error.rule` and listed in docs/rules.md. */
  readonly id: string;
  readonly kind: RuleKind;
  check(args: GuardArgs<C, E>): boolean;
  /** A sentence naming the values compared, e.g. "RELEASE of 5000 exceeds the 1000 that remains." */
  message(args: GuardArgs<C, E>): string;
  /** The compared values, as JSON (money as decimal strings). */
  details(args: GuardArgs<C, E>): Record<string, unknown>;
  readonly lookup?: RuleLookup;
}

export type RuleBook<C, E> = Readonly<Record<string, Rule<C, E>>>;

/** A machine version's rules as a registry reads them: by guard name, whatever the version's types. */
export type AnyRuleBook = RuleBook<unknown, unknown>;

/**
 * Declares a rule book for context `C` and events `E`, keeping its guard names: `ruleBook<C, E>()({ … })`.
 * A book typed with a version's base context and the few event fields its rules read is reusable by every later
 * version whose context extends `C` and whose events carry those fields with the same types.
 */
export function ruleBook<C, E>() {
  return <const R extends Record<string, Rule<C, E>>>(rules: R): { readonly [K in keyof R]: Rule<C, E> } => rules;
}

/** The xstate guard implementations of a rule book: each guard is its rule's check, under the same name. */
export function guardsOf<C, E, K extends string>(rules: { readonly [P in K]: Rule<C, E> }): {
  [P in K]: (args: GuardArgs<C, E>) => boolean;
} {
  const guards = {} as { [P in K]: (args: GuardArgs<C, E>) => boolean };
  for (const name of Object.keys(rules) as K[]) {
    const rule = rules[name];
    guards[name] = (args) => rule.check(args);
  }
  return guards;
}

/** Formats a rule's role list for messages: "the employer", "the employer or the freelancer". */
export function roleList(roles: readonly string[]): string {
  const named = roles.map((r) => `the ${r}`);
  return named.length <= 1 ? (named[0] ?? 'nobody') : `${named.slice(0, -1).join(', ')} or ${named.at(-1)}`;
}

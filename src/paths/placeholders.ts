// Generated paths name parties by role; whoever runs them maps each role to a real user (and `support` to a
// support-scoped client). Amounts are fixed so that every run of the generator gives the same output.
export const EMPLOYER = 'employer';
export const FREELANCER = 'freelancer';
export const OWNER = 'owner';
export const SUPPORT = 'support';
export const SYSTEM = 'system';
export const MILESTONE_AMOUNT = '1000';
export const PLACEHOLDER_PROJECT = 'project';
export const PLACEHOLDER_MILESTONE = 'milestone';
/** A payout's or an adjustment's id in generated paths. */
export const PLACEHOLDER_OWNED = 'owned';

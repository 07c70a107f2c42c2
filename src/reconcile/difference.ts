/**
 * One way the ledger and what should be true of it disagree: which check found it, in which currency, about
 * what (an account, a milestone, the currency as a whole), and the two amounts compared.
 */
export interface Difference {
  check: string;
  currency: string;
  /** What the difference is about: an account id, a milestone id, or the currency for a whole-ledger check. */
  subject: string;
  expected: bigint;
  actual: bigint;
  /** A sentence for the operator, naming both sides. */
  message: string;
}

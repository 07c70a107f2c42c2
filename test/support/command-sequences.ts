import fc from 'fast-check';
import { expect } from 'vitest';
import { cli } from './cli.js';
import type { TestService } from './test-service.js';

/**
 * The budget of a model-based property test: PROPERTY_RUNS sequences of up to PROPERTY_MAX_COMMANDS commands
 * (each file names its own defaults), PROPERTY_SEED to replay a reported failure.
 */
export function sequenceBudget(defaults: { runs: number; maxCommands: number }) {
  return {
    runs: Number(process.env.PROPERTY_RUNS ?? defaults.runs),
    maxCommands: Number(process.env.PROPERTY_MAX_COMMANDS ?? defaults.maxCommands),
    seed: process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED),
  };
}

/**
 * Runs random command sequences against the live service: `run` applies one sequence and returns the problems it
 * saw (none when the service agreed with the model); fast-check shrinks a failing sequence to a small one.
 * A run cut short by the time limit is not a failure: the sequences that ran still count.
 */
export async function holdsForSequences<C>(
  command: fc.Arbitrary<C>,
  budget: ReturnType<typeof sequenceBudget>,
  run: (commands: C[]) => Promise<string[]>,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(command, { minLength: 1, maxLength: budget.maxCommands, size: 'max' }),
      async (commands) => {
        expect(await run(commands)).toEqual([]);
      },
    ),
    {
      numRuns: budget.runs,
      ...(budget.seed === undefined ? {} : { seed: budget.seed }),
      interruptAfterTimeLimit: 5 * 60_000,
      markInterruptAsFailure: false,
    },
  );
}

/** After a property run: `cli reconcile`, as an operator runs it, finds the service's ledger clean. */
export async function expectReconciled(svc: TestService): Promise<void> {
  const reconciled = await cli(['reconcile', '--json'], {
    DATABASE_URL: svc.config.DATABASE_URL,
    QUEUE_PREFIX: svc.config.QUEUE_PREFIX,
  });
  expect(reconciled.code, reconciled.stdout + reconciled.stderr).toBe(0);
}

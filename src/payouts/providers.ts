import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { manualProvider } from './manual-provider.js';
import type { PayoutProvider } from './provider.js';
import { SandboxProvider } from './sandbox-provider.js';

/**
 * The providers a worker can hand payouts to, by the name a payout recorded at creation: a payout keeps its
 * provider even when PAYOUT_PROVIDER changes later.
 */
export function payoutProviders(db: Db, config: Config): ReadonlyMap<string, PayoutProvider> {
  return new Map<string, PayoutProvider>([
    [manualProvider.name, manualProvider],
    ['sandbox', new SandboxProvider(db, config)],
  ]);
}

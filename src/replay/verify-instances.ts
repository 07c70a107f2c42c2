import type { Knex } from 'knex';
import { pinnedMachine } from '../../machines/registry.js';
import type { InstanceRow } from '../engine/instance-row.js';
import { escrowFacts, escrowProblems } from './escrow-check.js';
import {
  instanceChunks,
  loadHistories,
  type BatchLimits,
  type InstanceFilter,
  type LoadedInstance,
} from './instance-batches.js';
import { prefetch } from './prefetch.js';
import { replayInstance, type Divergence, type MachineResolver } from './replay-instance.js';

// Chunks read ahead of the one being replayed: enough to hide a query's latency behind replay's CPU work,
// few enough that memory stays a small multiple of one chunk.
const PREFETCH_CHUNKS = 2;

export interface Mismatch {
  id: string;
  machine: string;
  version: number;
  seq: number;
  problems: string[];
  divergence: Divergence | null;
}

export interface VerifyProgress {
  instances: number;
  events: number;
  mismatches: number;
}

export interface VerifySummary extends VerifyProgress {
  elapsedMs: number;
}

export interface VerifyHooks {
  onProgress?(progress: VerifyProgress): void;
  onMismatch?(mismatch: Mismatch): void;
}

export interface VerifyOptions extends InstanceFilter, BatchLimits {
  resolve?: MachineResolver;
}

/**
 * Bulk verification: streams every instance with its history (keyset pages, bounded chunks, the next chunk
 * read while this one replays), replays it through its pinned machine version(s), compares with the stored
 * snapshot and, for milestones, checks the escrow against the ledger. Reads only; memory stays flat in the
 * number of instances because nothing outlives its chunk but counters.
 */
export async function verifyInstances(
  db: Knex,
  options: VerifyOptions,
  hooks: VerifyHooks = {},
): Promise<VerifySummary> {
  const started = performance.now();
  const resolve = options.resolve ?? pinnedMachine;
  const progress: VerifyProgress = { instances: 0, events: 0, mismatches: 0 };
  const chunks = prefetch(withEscrow(db, instanceChunks(db, options, options), options.maxEvents), PREFETCH_CHUNKS);
  for await (const { loaded, escrow } of chunks) {
    for (const { row, history } of loaded) {
      const problems: string[] = [];
      let divergence: Divergence | null = null;
      if (history === null) {
        problems.push(`history of ${row.seq} events exceeds REPLAY_MAX_EVENTS (${options.maxEvents}); not replayed`);
      } else {
        try {
          const result = replayInstance(instanceSource(row, history), resolve);
          progress.events += result.eventsReplayed;
          divergence = result.firstDivergence;
          if (divergence) problems.push(`seq ${divergence.seq} ${divergence.kind}: ${divergence.message}`);
          problems.push(...escrowProblems(result.definition, row, escrow.get(row.id)));
        } catch (error) {
          // An unknown machine version or an unreadable input: this instance cannot be replayed at all.
          problems.push(`cannot replay: ${(error as Error).message}`);
        }
      }
      progress.instances++;
      if (problems.length > 0) {
        progress.mismatches++;
        hooks.onMismatch?.({
          id: row.id,
          machine: row.machine,
          version: row.version,
          seq: row.seq,
          problems,
          divergence,
        });
      }
    }
    hooks.onProgress?.({ ...progress });
  }
  return { ...progress, elapsedMs: performance.now() - started };
}

function instanceSource(row: InstanceRow, history: LoadedInstance['history'] & object) {
  return {
    id: row.id,
    machine: row.machine,
    input: row.input,
    version: row.version,
    seq: row.seq,
    snapshot: row.snapshot,
    history,
  };
}

/**
 * Each chunk's history and escrow facts, read side by side on two pooled connections. Both are bounded by the
 * seq each instance was read at, so they describe the same moment whichever query runs first.
 */
async function* withEscrow(db: Knex, pages: AsyncIterable<InstanceRow[]>, maxEvents: number) {
  for await (const rows of pages) {
    const [loaded, escrow] = await Promise.all([loadHistories(db, rows, maxEvents), escrowFacts(db, rows)]);
    yield { loaded, escrow };
  }
}

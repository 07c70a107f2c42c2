import { afterAll, describe, expect, it } from 'vitest';
import { CHAOS_LONG, chaosFigures } from './support/chaos-env.js';
import { ChaosWorld } from './support/chaos-world.js';
import { auditAfterChaos, waitForQuiescence } from './support/checks.js';
import { Load } from './support/load.js';
import { sleep } from './support/ports.js';
import { Rng, seedFromEnv } from './support/random.js';

// A platform fee, so releases and dispute splits settle in two legs (more transfers that must not repeat),
// and response deadlines short enough that dispute timers fire across the crashes too.
const PLATFORM_FEE_BPS = 250;
const RESPONSE_DEADLINE_MS = 1_500;
// A worker killed mid-job leaves its BullMQ job "active" until the lock (30 s) lapses and a stalled-job check
// (every 30 s) moves it back: recovery of the last kill can take up to about a minute.
const QUIESCENCE_TIMEOUT_MS = 120_000;

describe('chaos: kill -9 of the API and the workers under load', () => {
  let world: ChaosWorld | undefined;
  afterAll(async () => {
    await world?.destroy();
  });

  it(
    'after every kill and restart, no acknowledged event is lost or doubled and no money is lost or moved twice',
    async () => {
      const started = Date.now();
      const rng = new Rng(seedFromEnv());
      world = await ChaosWorld.create({
        PLATFORM_FEE_BPS: String(PLATFORM_FEE_BPS),
        DISPUTE_FREELANCER_RESPONSE_MS: String(RESPONSE_DEADLINE_MS),
      });
      const w = world;
      const load = new Load(w.http, rng, {
        concurrency: chaosFigures.loadConcurrency,
        retryWindowMs: 90_000,
        leaveUnansweredProbability: 0.3,
      });
      await load.setUp();
      load.start();

      // Alternating victims, the API last, so the final round also proves clients resume on a fresh API.
      const crashes = { api: 0, workers: 0 };
      for (let round = 0; round < chaosFigures.crashRounds; round++) {
        const victim = (chaosFigures.crashRounds - round) % 2 === 0 ? w.workers : w.api;
        await sleep(rng.int(chaosFigures.crashGapMinMs, chaosFigures.crashGapMaxMs));
        await victim.kill9();
        crashes[victim.role]++;
        await sleep(rng.int(0, chaosFigures.downMaxMs));
        await victim.start();
      }
      // Work continues on the restarted processes before the clients stop.
      const ackedAfterLastRestart = load.acknowledged;
      await sleep(1_500);
      await load.stop();
      expect(load.acknowledged, 'the service acknowledged writes after the last restart').toBeGreaterThan(
        ackedAfterLastRestart,
      );

      // Disputes left unanswered in the load's last moments still have their response deadline ahead: the audit
      // waits for those timers too, or it would race their events and the settlements they ask for.
      const recoveryMs = await waitForQuiescence(w.db, QUIESCENCE_TIMEOUT_MS, 2 * RESPONSE_DEADLINE_MS).catch(
        (error: unknown) => {
          throw new Error(`${(error as Error).message}\n${w.logs()}`);
        },
      );
      expect(w.unexpectedExits, w.logs()).toEqual([]);
      const audit = await auditAfterChaos(w.db, load, PLATFORM_FEE_BPS);

      console.log(
        `[chaos crash] ${CHAOS_LONG ? 'long' : 'default'} seed=${rng.seed} rounds=${chaosFigures.crashRounds} ` +
          `crashes injected=${crashes.api + crashes.workers} (api ${crashes.api}, workers ${crashes.workers}) ` +
          `events acknowledged=${audit.ackedEvents} deposits acknowledged=${audit.ackedDeposits} writes=${load.stats.writes} ` +
          `refused=${load.stats.refused} network errors retried=${load.stats.networkErrors} 503=${load.stats.unavailable} ` +
          `settlements=${audit.settlements} (failed ${audit.settlementFailures}) transfers=${audit.transfers} timers fired=${audit.timersFired} ` +
          `instances replayed=${audit.replayed} history events=${audit.historyEvents} mismatches=0 lost=0 doubled=0 ` +
          `faults survived=${crashes.api + crashes.workers} recovery=${(recoveryMs / 1000).toFixed(1)}s total=${((Date.now() - started) / 1000).toFixed(1)}s`,
      );
      expect(
        load.stats.unexpected,
        `answers other than 2xx, expected refusals and 503 unavailable\n${w.logs()}`,
      ).toEqual([]);
    },
    CHAOS_LONG ? 900_000 : 240_000,
  );
});

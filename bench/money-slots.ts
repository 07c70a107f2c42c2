// The money mix's slots (bench/ingest.lua): the milestones each wrk thread keeps going, one event each in turn.
//
// By default every slot starts at the lifecycle's first step, as in every round of bench/README.md. The slots then
// move in step: each thread sends one step to all its slots in a cycle, and both threads keep pace, so the service
// sees about a second of nothing but creations, then of partial releases, and so on, each money step's settlements
// arriving as one wave. With BENCH_MONEY_STAGGER=1 the k-th slot of a thread starts at step k mod 6 instead (its
// first milestone taken that far, and settled, before the phase), so all six steps are in the mix at any moment, as
// in a marketplace's traffic; a project's slots are then at different steps, so its creations meet the settlements
// that move it (bench/README.md, round 8).
import { api } from './harness.js';
import type { BenchProject } from './ingest.js';
import { lua } from './wrk.js';

/** The lifecycle's events in order (ingest.lua money_request); step 5 is RELEASE in even rounds, CANCEL in odd. */
const STEPS = 6;

const STAGGER = process.env.BENCH_MONEY_STAGGER === '1';

/** A slot as ingest.lua starts it: `step` is the next event to send; `id` the milestone it is at, if any. */
interface Slot {
  project: number;
  name: string;
  step: number;
  round: number;
  id?: string;
}

/** A slot starting past the first step, and its project: its first milestone is taken to `step` before the phase. */
type Seed = { slot: Slot; project: BenchProject };

// Milestones seeded at once: enough to keep the service busy, few enough that no settlement queues for long.
const SEEDING_CONCURRENCY = 16;

/**
 * The slots of each thread as a Lua table, in the order the thread visits them (slot-major, so consecutive requests
 * go to different projects). Staggered, the k-th of a thread starts at step k mod 6, and a slot starting past step
 * 0 gets its first milestone here, through the API, taken as far as that step and settled.
 */
export async function planMoneySlots(
  token: string,
  projects: BenchProject[],
  threads: number,
  slotsPerThread: number,
  run: string,
): Promise<string> {
  const perThread: Slot[][] = [];
  const seeds: Seed[] = [];
  for (let tid = 0; tid < threads; tid++) {
    const own = projects.map((p, i) => ({ p, index: i + 1 })).filter((_, i) => i % threads === tid);
    const slotsPerProject = Math.max(1, Math.ceil(slotsPerThread / own.length));
    const slots: Slot[] = [];
    for (let j = 1; j <= slotsPerProject; j++) {
      own.forEach(({ p, index }, i) => {
        const step = STAGGER ? slots.length % STEPS : 0;
        const slot: Slot = { project: index, name: `${run}-${tid}-${i + 1}-${j}`, step, round: 0 };
        if (step > 0) {
          slot.round = 1;
          slot.id = `${slot.name}-1`;
          seeds.push({ slot, project: p });
        }
        slots.push(slot);
      });
    }
    perThread.push(slots);
  }
  await inPool(seeds, SEEDING_CONCURRENCY, (seed) => seedSlot(token, seed));
  const slotLua = (s: Slot) =>
    `{ project = ${s.project}, name = ${lua(s.name)}, step = ${s.step}, round = ${s.round}${s.id ? `, id = ${lua(s.id)}` : ''} }`;
  return `{ ${perThread.map((slots) => `{ ${slots.map(slotLua).join(', ')} }`).join(',\n')} }`;
}

/** Takes the slot's milestone through the steps before its own, as ingest.lua would, each money step settled. */
async function seedSlot(token: string, { slot, project }: Seed): Promise<void> {
  const { projectId, employer, freelancer } = project;
  const id = slot.id!;
  const post = (path: string, body: object) => api(token, 'POST', path, body);
  const settled = () => api(token, 'GET', `/v1/milestones/${id}?wait=settled&timeoutMs=30000`);
  const event = (body: object) => post(`/v1/milestones/${id}/events`, body);
  const before = [
    async () => {
      await post(`/v1/projects/${projectId}/milestones`, {
        id,
        type: 'CREATE',
        actor: employer,
        amount: '10000',
        description: 'bench',
      });
      await settled();
    },
    () => event({ type: 'REQUEST_RELEASE', actor: freelancer }),
    async () => {
      await event({ type: 'RELEASE', actor: employer, amount: '4000' });
      await settled();
    },
    () => event({ type: 'REQUEST_CANCEL', actor: employer, reason: 'bench' }),
    () => event({ type: 'REJECT_CANCEL', actor: freelancer }),
  ];
  for (const apply of before.slice(0, slot.step)) await apply();
}

/** Runs `work` over the items, at most `concurrency` at a time; the first failure fails the whole. */
async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runner));
}

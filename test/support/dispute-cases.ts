import { expect } from 'vitest';
import type { HttpClient } from './http-client.js';
import { deposit, fundedMilestone, type Parties } from './scenario.js';

export type DisputeStage = 'awaiting_response' | 'negotiation' | 'arbitration_pending' | 'arbitration';

/**
 * A funded milestone of `amount` brought to a dispute stage through the API, as the parties would: the filer
 * opens it, the other side responds, the filer pays the arbitration fee, then the other side. Each party needs
 * `fee` available for the fee (deposited here).
 */
export async function milestoneInDispute(
  http: HttpClient,
  p: Parties,
  stage: DisputeStage,
  options: { amount?: string; fee?: string; filer?: 'employer' | 'freelancer' } = {},
): Promise<string> {
  const { amount = '1000', fee = '50', filer = 'freelancer' } = options;
  const m = await fundedMilestone(http, p, amount);
  const send = async (body: object) => {
    const res = await http.post(`/v1/milestones/${m.id}/events`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  const [first, second] = filer === 'freelancer' ? [p.freelancer, p.employer] : [p.employer, p.freelancer];
  // The filer asks for 80 % of it to go to the freelancer, the other side offers 30 %.
  const share = (percent: bigint) => ((BigInt(amount) * percent) / 100n).toString();
  await send({
    type: 'OPEN_DISPUTE',
    actor: first,
    reason: 'The delivered site is missing the shop',
    offer: share(80n),
  });
  if (stage === 'awaiting_response') return m.id;
  await send({ type: 'SUBMIT_EVIDENCE', actor: first, text: 'Signed specification, page 3: the shop is in scope.' });
  await send({ type: 'RESPOND', actor: second, offer: share(30n) });
  if (stage === 'negotiation') return m.id;
  await deposit(http, first, fee, p.currency);
  await send({ type: 'PAY_ARBITRATION_FEE', actor: first });
  if (stage === 'arbitration_pending') return m.id;
  await deposit(http, second, fee, p.currency);
  await send({ type: 'SUBMIT_EVIDENCE', actor: second, text: 'Email of 3 March: the shop was dropped by agreement.' });
  await send({ type: 'PAY_ARBITRATION_FEE', actor: second });
  return m.id;
}

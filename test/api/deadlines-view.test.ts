import { describe, expect, it } from 'vitest';
import { pinnedMachine } from '../../machines/registry.js';
import { deadlineParty, deadlinesView } from '../../src/api/deadlines-view.js';

const milestone = (version: number) => pinnedMachine('milestone', version);
const disputeContext = (filedBy: 'employer' | 'freelancer', feesPaid: string[] = []) => ({
  id: 'm-1',
  dispute: {
    filedBy,
    reason: 'r',
    offers: { employer: null, freelancer: null },
    evidence: [],
    feesPaid,
    outcome: null,
  },
});

describe('deadlineParty: who must act before an armed timer fires', () => {
  it('names the respondent of a dispute, whoever filed it, in every version with disputes', () => {
    for (const version of [2, 3]) {
      expect(deadlineParty(milestone(version), 'RESPONSE_TIMEOUT', disputeContext('freelancer'))).toBe('employer');
      expect(deadlineParty(milestone(version), 'RESPONSE_TIMEOUT', disputeContext('employer'))).toBe('freelancer');
    }
  });

  it('names the party who has not paid the arbitration fee', () => {
    const paidByEmployer = disputeContext('freelancer', ['employer']);
    expect(deadlineParty(milestone(3), 'ARBITRATION_FEE_TIMEOUT', paidByEmployer)).toBe('freelancer');
    const paidByFreelancer = disputeContext('freelancer', ['freelancer']);
    expect(deadlineParty(milestone(2), 'ARBITRATION_FEE_TIMEOUT', paidByFreelancer)).toBe('employer');
  });

  it("names the employer for a freelancer's project cancel request, and nobody for a window that closes", () => {
    const project = pinnedMachine('project', 2);
    expect(deadlineParty(project, 'CANCEL_REQUEST_TIMEOUT', {})).toBe('employer');
    expect(deadlineParty(project, 'FEEDBACK_WINDOW_CLOSED', {})).toBeNull();
  });

  it('is null for a timer the pinned version does not arm', () => {
    expect(deadlineParty(milestone(1), 'RESPONSE_TIMEOUT', disputeContext('freelancer'))).toBeNull();
  });
});

describe('deadlinesView', () => {
  it('keeps the order read (soonest first) and adds each party', () => {
    const armed = [
      { name: 'ARBITRATION_FEE_TIMEOUT', dueAt: '2026-12-01T00:00:00.000Z' },
      { name: 'RESPONSE_TIMEOUT', dueAt: '2026-12-02T00:00:00.000Z' },
    ];
    expect(deadlinesView(milestone(3), armed, disputeContext('employer', ['employer']))).toEqual([
      { name: 'ARBITRATION_FEE_TIMEOUT', dueAt: '2026-12-01T00:00:00.000Z', party: 'freelancer' },
      { name: 'RESPONSE_TIMEOUT', dueAt: '2026-12-02T00:00:00.000Z', party: 'freelancer' },
    ]);
    expect(deadlinesView(milestone(3), [], disputeContext('employer'))).toEqual([]);
  });
});

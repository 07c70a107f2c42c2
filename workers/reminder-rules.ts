import type { Dispute } from '../machines/milestone.v2.js';
import type { Feedback } from '../machines/project.v1.js';

type Context = Record<string, unknown> & { employerId: string; freelancerId: string | null };

export interface ReminderRule {
  /** Notification type the party receives. */
  type: string;
  /** Who must act before the deadline, read from the instance's context when the reminder goes out. */
  mustAct: (context: Context) => (string | null)[];
}

const otherParty = (c: Context, role: string | undefined) => (role === 'employer' ? c.freelancerId : c.employerId);

/** Which deadline (timer key of the machines) warns whom, as data (issue: "deadline in 24 h → who must act"). */
export const REMINDER_RULES: Readonly<Record<string, ReminderRule>> = {
  'response-deadline': {
    type: 'milestone.response_due',
    mustAct: (c) => [otherParty(c, (c.dispute as Dispute).filedBy)],
  },
  'arbitration-fee-deadline': {
    type: 'milestone.arbitration_fee_due_soon',
    mustAct: (c) => [otherParty(c, (c.dispute as Dispute).feesPaid[0])],
  },
  'cancel-request': {
    type: 'project.cancel_request_due',
    mustAct: (c) => [c.employerId],
  },
  'feedback-window': {
    type: 'project.feedback_window_closing',
    mustAct: (c) => {
      const given = new Set((c.feedback as Feedback[]).map((f) => f.role));
      return [given.has('employer') ? null : c.employerId, given.has('freelancer') ? null : c.freelancerId];
    },
  },
};

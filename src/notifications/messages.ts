// What each party reads in the inbox, per notification type the machines emit.
const MESSAGES: Readonly<Record<string, string>> = {
  'project.awarded': 'You were awarded a project.',
  'project.award_accepted': 'The freelancer accepted the award.',
  'project.award_rejected': 'The freelancer rejected the award.',
  'milestone.requested': 'The freelancer requested a milestone.',
  'milestone.request_rejected': 'The employer rejected your milestone request.',
  'milestone.funded': 'A milestone was funded and is now in progress.',
  'milestone.funding_failed': 'Funding a milestone failed; deposit funds and fund it again, or abandon it.',
  'milestone.release_requested': 'The freelancer asked you to release a milestone.',
  'milestone.cancel_requested': 'The employer asked you to cancel a milestone.',
  'milestone.cancel_rejected': 'The freelancer declined to cancel the milestone.',
  'milestone.released': 'A milestone was released in full.',
  'milestone.partially_released': 'Part of a milestone was released.',
  'milestone.release_failed': 'Releasing a milestone failed; it is still in progress.',
  'milestone.cancelled': 'A milestone was cancelled and its money returned to you.',
  'milestone.cancel_failed': 'Cancelling a milestone failed; it is still in progress.',
  'milestone.dispute_opened':
    "A dispute was opened on a milestone; respond before the deadline or the filer's offer applies.",
  'milestone.dispute_responded': 'The other party responded to your dispute; negotiation is open.',
  'milestone.arbitration_fee_due':
    'The other party paid the arbitration fee; pay yours before the deadline or they win.',
  'milestone.dispute_resolved': 'A dispute was resolved and its money settled.',
  'milestone.response_due': 'A dispute awaits your response; the deadline is less than a day away.',
  'milestone.arbitration_fee_due_soon': 'Pay the arbitration fee within a day or the other party wins the dispute.',
  'project.cancel_request_due': 'A cancellation request will be accepted automatically within a day unless you answer.',
  'project.feedback_window_closing': 'The feedback window for this project closes within a day.',
  'project.cancel_requested':
    'The freelancer asked to cancel the project; it is cancelled automatically unless you answer.',
  'project.cancel_accepted': 'The employer accepted cancelling the project.',
  'project.cancel_rejected': 'The employer declined cancelling the project.',
  'project.cancel_auto_accepted': 'The project was cancelled: its cancellation request went unanswered.',
  'project.cancel_request_lapsed': 'Your cancellation request lapsed because a milestone is pending.',
};

export function notificationMessage(type: string): string {
  return MESSAGES[type] ?? `Update: ${type}.`;
}

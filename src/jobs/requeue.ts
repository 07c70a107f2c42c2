import type { Job, Queue } from 'bullmq';

// A job in one of these states will run (or is running): adding another would be ignored by BullMQ anyway.
const LIVE_JOB_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

/**
 * Puts a job back on its queue under its own id, for work whose row says it is still open: a live job of that
 * id is left alone; a finished or failed one (or none, after Redis lost it) is replaced, since BullMQ silently
 * ignores an add whose id it still keeps. Safe to repeat: every worker checks its row before doing anything.
 */
export async function requeue(
  queue: Queue,
  jobId: string,
  name: string,
  data: Record<string, string>,
): Promise<'enqueued' | 'already_queued'> {
  const job: Job | undefined = await queue.getJob(jobId);
  if (job && LIVE_JOB_STATES.has(await job.getState())) return 'already_queued';
  if (job) await job.remove();
  await queue.add(name, data, { jobId });
  return 'enqueued';
}

import type { Job, JobType, Queue } from 'bullmq';

// A job in one of these states will run (or is running): adding another would be ignored by BullMQ anyway.
const LIVE_JOB_TYPES: JobType[] = ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'];
const LIVE_JOB_STATES = new Set<string>(LIVE_JOB_TYPES);

/**
 * The outbox ids that live relay jobs carry (settlementsJob, src/jobs/queues.ts): each of those commands will run
 * although no job of its own id exists. Reads every live job of the queue, so it is for the sweeper's and support's
 * occasional checks, not for a hot path.
 */
export async function commandsInLiveJobs(queue: Queue): Promise<Set<string>> {
  const jobs: (Job | undefined)[] = await queue.getJobs(LIVE_JOB_TYPES);
  return new Set(jobs.flatMap((job) => (job?.data as { outboxIds?: string[] } | undefined)?.outboxIds ?? []));
}

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

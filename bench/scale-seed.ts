// Bulk rows for the scale check, written straight into the database with generate_series (the API would take
// hours for a million milestones): copies of a real project and a real funded milestone, each milestone with
// `historyPerMilestone` history rows. Chunked, so progress shows and no single statement holds everything.
import pg from 'pg';

export interface ScaleSeed {
  milestones: number;
  historyPerMilestone: number;
  projects: number;
  chunk: number;
}

export async function seedScale(
  databaseUrl: string,
  templateMilestoneId: string,
  s: ScaleSeed,
  log: (line: string) => void,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ project_id: string }>('SELECT project_id FROM instances WHERE id = $1', [
      templateMilestoneId,
    ]);
    const templateProject = rows[0]?.project_id;
    if (!templateProject) throw new Error(`template milestone ${templateMilestoneId} not found`);
    const started = Date.now();
    await client.query(
      `INSERT INTO instances (id, machine, version, seq, state, snapshot, input, project_id, employer_id, freelancer_id)
       SELECT 'prj_scale_' || g, machine, version, seq, state, snapshot, input, NULL, 'scale-emp-' || g, 'scale-fl-' || g
       FROM instances, generate_series(1, $2::int) g WHERE id = $1`,
      [templateProject, s.projects],
    );
    for (let from = 1; from <= s.milestones; from += s.chunk) {
      const to = Math.min(s.milestones, from + s.chunk - 1);
      await client.query(
        `INSERT INTO instances (id, machine, version, seq, state, snapshot, input, project_id, employer_id, freelancer_id)
         SELECT 'ms_scale_' || g, machine, version, $4::int, state, snapshot, input, 'prj_scale_' || (g % $5::int + 1),
                'scale-emp-' || (g % $5::int + 1), 'scale-fl-' || (g % $5::int + 1)
         FROM instances, generate_series($2::int, $3::int) g WHERE id = $1`,
        [templateMilestoneId, from, to, s.historyPerMilestone, s.projects],
      );
      await client.query(
        `INSERT INTO history (instance_id, seq, type, actor, role, payload, from_state, to_state, machine_version)
         SELECT 'ms_scale_' || g, n, CASE WHEN n % 2 = 1 THEN 'REQUEST_CANCEL' ELSE 'REJECT_CANCEL' END, 'scale-emp-' || (g % $3::int + 1),
                'employer', '{"reason":"scale"}'::jsonb, '"in_progress"'::jsonb, '"in_progress"'::jsonb, 2
         FROM generate_series($1::int, $2::int) g, generate_series(1, $4::int) n`,
        [from, to, s.projects, s.historyPerMilestone],
      );
      log(
        `  ${to.toLocaleString('en')} / ${s.milestones.toLocaleString('en')} milestones, ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    }
    await client.query('ANALYZE instances');
    await client.query('ANALYZE history');
  } finally {
    await client.end();
  }
}

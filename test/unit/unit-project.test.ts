import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { UNIT } from '../../vitest.config.js';

// What makes a test an integration test: importing the helpers that start the service or open a database or Redis.
const NEEDS_SERVICES = /^import .*(support\/(test-service|databases|path-runner)|src\/db\/knex|'ioredis'|'bullmq')/m;

/** The files UNIT names: its patterns are exact paths or `<dir>/**\/*.test.ts`. */
async function unitFiles(): Promise<string[]> {
  const all = (await readdir('test', { recursive: true })).map((f) => `test/${f}`);
  return all.filter((file) =>
    UNIT.some((pattern) =>
      pattern.endsWith('/**/*.test.ts')
        ? file.startsWith(pattern.replace('**/*.test.ts', '')) && file.endsWith('.test.ts')
        : file === pattern,
    ),
  );
}

describe('the unit project (npm run test:unit)', () => {
  it('holds only files that need no database, Redis, service or workers', async () => {
    const files = await unitFiles();
    expect(files).toContain('test/machines/milestone.v3.test.ts');
    expect(files).toContain('test/ledger/plan-transfers.test.ts');
    for (const file of files) expect(await readFile(file, 'utf8'), file).not.toMatch(NEEDS_SERVICES);
  });
});

// Knex CLI configuration, e.g. `npx tsx node_modules/.bin/knex migrate:status --knexfile knexfile.ts`.
// The service migrates by itself at start; this is for operators inspecting or rolling back by hand.
import { migrationSource } from './migrations/index.js';
import { loadConfig } from './src/config.js';

const config = loadConfig();

export default {
  client: 'pg',
  connection: config.DATABASE_URL,
  migrations: { migrationSource },
};

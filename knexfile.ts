// Knex CLI configuration (e.g. `npx knex migrate:status --knexfile knexfile.ts`); the service migrates by itself.
import { loadConfig } from './src/config.js';

const config = loadConfig();

export default {
  client: 'pg',
  connection: config.DATABASE_URL,
  migrations: { directory: './migrations', loadExtensions: ['.ts'] },
};

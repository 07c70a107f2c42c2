import { loadConfig, ConfigError } from './config.js';
import { createLogger } from './logger.js';
import { nextSteps } from './next-steps.js';
import { startService, type ServiceOptions } from './service.js';

// Entry point: `tsx src/main.ts [all|api|workers]`. One process runs both by default; split them to scale out.
const role = process.argv[2] ?? 'all';
const options: Record<string, ServiceOptions> = {
  all: { api: true, workers: true },
  api: { api: true, workers: false },
  workers: { api: false, workers: true },
};

async function main(): Promise<void> {
  const selected = options[role];
  if (!selected) throw new ConfigError(`Unknown role ${role}; use all, api or workers.`);
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const service = await startService(config, log, selected);
  log.info(
    { url: service.url, role, queuePrefix: config.queuePrefix, database: config.databaseName },
    'escrow service started',
  );
  if (service.url) console.log(`escrow API listening on ${service.url}`);
  if (selected.workers) console.log(`escrow workers running (queue prefix ${config.queuePrefix})`);
  if (service.url) console.log(nextSteps(service.url));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Node is not safe to continue after an uncaught exception: log and exit, the supervisor restarts us.
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

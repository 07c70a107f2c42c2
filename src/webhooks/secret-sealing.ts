import type { Knex } from 'knex';
import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { isSealed, openSecret, sealSecret } from './secret-box.js';

/**
 * Webhook secrets are sealed at rest (AES-256-GCM under WEBHOOK_SECRET_KEY; docs/security.md). Checked when a
 * service starts:
 * - NODE_ENV=production without a key refuses to start: a database dump would hand out every receiver's key;
 * - elsewhere without a key, the log says plainly that secrets are stored unsealed;
 * - with a key, secrets stored unsealed (before the key was set) are sealed now, so none stays readable.
 */
export async function enforceSecretSealing(db: Knex, config: Config, log: Logger): Promise<void> {
  const key = config.WEBHOOK_SECRET_KEY;
  if (!key) {
    if (config.NODE_ENV === 'production') {
      throw new ConfigError(
        'Invalid configuration:\n  WEBHOOK_SECRET_KEY: required when NODE_ENV=production (64 hex characters; ' +
          'e.g. `openssl rand -hex 32`): webhook secrets must not be stored unsealed',
      );
    }
    log.warn(
      'WEBHOOK_SECRET_KEY is not set: webhook secrets are stored UNSEALED (readable in the database); set it before production',
    );
    return;
  }
  const rows: { id: string; secret: string }[] = await db('webhooks').select('id', 'secret');
  const unsealed = rows.filter((r) => !isSealed(r.secret));
  for (const row of unsealed) {
    // Compare-and-set on the old text: another process sealing the same row at once leaves one valid sealing.
    await db('webhooks')
      .where({ id: row.id, secret: row.secret })
      .update({ secret: sealSecret(openSecret(row.secret, key), key) });
  }
  if (unsealed.length > 0)
    log.info({ sealed: unsealed.length }, 'sealed webhook secrets stored before the key was set');
}

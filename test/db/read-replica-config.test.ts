import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('read replica configuration', () => {
  it('is off unless DATABASE_READ_URL names a server', () => {
    const cfg = loadConfig({});
    expect(cfg.DATABASE_READ_URL).toBe('');
    expect(cfg.READ_REPLICA_MAX_LAG_MS).toBe(5_000);
    expect(loadConfig({ DATABASE_READ_URL: 'postgres://ro@10.0.0.2:5432/escrow' }).DATABASE_READ_URL).toBe(
      'postgres://ro@10.0.0.2:5432/escrow',
    );
  });

  it('refuses a URL that is not one, and a check interval the lag bound cannot outlast', () => {
    expect(() => loadConfig({ DATABASE_READ_URL: 'replica-host' })).toThrow(/DATABASE_READ_URL/);
    expect(() => loadConfig({ READ_REPLICA_CHECK_MS: '5000', READ_REPLICA_MAX_LAG_MS: '5000' })).toThrow(
      /READ_REPLICA_CHECK_MS: must stay below READ_REPLICA_MAX_LAG_MS/,
    );
  });
});

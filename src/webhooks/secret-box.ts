import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// Webhook secrets must stay usable (we sign with them), so they cannot be hashed like API tokens. With
// WEBHOOK_SECRET_KEY set they are sealed with AES-256-GCM, so a database dump alone does not reveal them.
const SEALED = 'aes256gcm';
const PLAIN = 'plain';

export function sealSecret(secret: string, keyHex: string): string {
  if (!keyHex) return `${PLAIN}:${secret}`;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [SEALED, iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join(':');
}

/** Whether a stored secret is sealed (encrypted), as opposed to stored as given. */
export function isSealed(stored: string): boolean {
  return stored.startsWith(`${SEALED}:`);
}

/** A sealed secret the key cannot open is an operator mistake (key changed): fail loudly, never sign with junk. */
export function openSecret(stored: string, keyHex: string): string {
  const [scheme, ...rest] = stored.split(':');
  if (scheme === PLAIN) return rest.join(':');
  if (scheme !== SEALED || rest.length !== 3) throw new Error('unknown webhook secret format');
  if (!keyHex) throw new Error('webhook secret is sealed but WEBHOOK_SECRET_KEY is not set');
  const [iv, tag, data] = rest.map((part) => Buffer.from(part, 'base64')) as [Buffer, Buffer, Buffer];
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

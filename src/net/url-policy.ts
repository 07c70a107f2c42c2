import net from 'node:net';

/**
 * Where webhooks may point (no SSRF). WEBHOOK_ALLOWED_HOSTS is a comma-separated list of IP addresses or CIDR
 * ranges (`10.0.0.0/8`, `::1/128`), exact host names (`hooks.example.com`) and host-name suffixes
 * (`*.example.com`). An IP literal in a URL must fall in a listed range; a host name must be listed by name.
 * List a host name only if you trust its DNS: its address is not checked again at delivery time.
 */
export class UrlPolicy {
  private readonly ranges = new net.BlockList();
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(allowList: string) {
    for (const raw of allowList.split(',')) {
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      const [address, prefix] = entry.split('/');
      const family = net.isIP(address ?? '');
      if (family !== 0) {
        const type = family === 4 ? 'ipv4' : 'ipv6';
        const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
        if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
          throw new Error(`WEBHOOK_ALLOWED_HOSTS: bad range ${entry}`);
        this.ranges.addSubnet(address!, bits, type);
      } else if (/^\*\.[a-z0-9.-]+$/.test(entry)) {
        this.suffixes.push(entry.slice(1));
      } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) {
        this.names.add(entry);
      } else {
        throw new Error(`WEBHOOK_ALLOWED_HOSTS: cannot read entry ${entry}`);
      }
    }
  }

  /** Why the URL is refused, or null when it may be called. */
  refusal(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not an absolute URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must use http or https';
    if (parsed.username || parsed.password) return 'must not carry credentials';
    // WHATWG URL has already normalised the host (e.g. 2130706433 → 127.0.0.1, brackets around IPv6).
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const family = net.isIP(host);
    if (family !== 0) {
      return this.ranges.check(host, family === 4 ? 'ipv4' : 'ipv6')
        ? null
        : `host ${host} is not in WEBHOOK_ALLOWED_HOSTS`;
    }
    if (this.names.has(host) || this.suffixes.some((s) => host.endsWith(s))) return null;
    return `host ${host} is not in WEBHOOK_ALLOWED_HOSTS`;
  }
}

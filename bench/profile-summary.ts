// Summarises a V8 .cpuprofile (node --cpu-prof): self time per package (or our own top folder) and the top
// functions. `npx tsx bench/profile-summary.ts <file.cpuprofile> [top]`.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** node_modules/<pkg> (or @scope/pkg), our own top folder, node internals, or the V8 pseudo-frames. */
function groupOf(url: string, name: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/work\/[^/]+\/([^/]+)\//.exec(url)?.[1] ?? /^file:\/\/.*?\/(src|machines|workers)\//.exec(url)?.[1];
  if (own) return `ours: ${own}/`;
  return url === '' ? `(${name || 'native'})` : 'other';
}

const groups = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const group = groupOf(url, functionName);
  groups.set(group, (groups.get(group) ?? 0) + us);
  const key = `${functionName || '(anonymous)'}  ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/[^/]+\//, '')}:${lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
}

const pct = (us: number) => `${((us / totalUs) * 100).toFixed(1).padStart(5)} %`;
const top = Number(topArg ?? 25);
process.stdout.write(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\n\nself time by package\n`);
for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${g}\n`);
process.stdout.write('\nself time by function\n');
for (const [f, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top))
  process.stdout.write(`${pct(us)}  ${f}\n`);

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registeredMachines } from '../../machines/registry.js';
import { configTable } from '../../scripts/docs/config-table.js';
import { renderPages } from '../../scripts/docs/generated-sections.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { configSchema, loadConfig } from '../../src/config.js';

// The docs stay true to the code: generated blocks are fresh, every route and rule id is documented, every
// relative link resolves, and nothing points at files outside the repository.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const tracked = () => execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
const markdown = () => tracked().filter((f) => f.endsWith('.md'));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Relative link targets of a Markdown file (code blocks and inline code left out). */
function linksOf(file: string): string[] {
  const text = read(file)
    .replace(/```[\s\S]*?```/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

/** Problems with one link: a missing file, or a heading the target page does not have. */
function brokenLink(file: string, target: string): string | null {
  const [path = '', anchor] = target.split('#');
  const resolved = path === '' ? file : relative(ROOT, join(ROOT, dirname(file), path));
  if (!existsSync(join(ROOT, resolved))) return `${file}: ${target} (no ${resolved})`;
  if (anchor === undefined) return null;
  if (statSync(join(ROOT, resolved)).isDirectory() || !resolved.endsWith('.md'))
    return `${file}: ${target} (an anchor into a non-page)`;
  return anchorsOf(resolved).has(anchor) ? null : `${file}: ${target} (no heading #${anchor} in ${resolved})`;
}

describe('docs', () => {
  it('has every generated block as npm run docs:generate writes it', () => {
    for (const page of renderPages(ROOT)) {
      expect(page.current, `${page.file} is stale: run npm run docs:generate`).toBe(page.expected);
    }
  });

  it('describes every configuration variable, and the table lists each', () => {
    const table = configTable();
    for (const [name, field] of Object.entries(configSchema.shape)) {
      expect(field.description, `${name} needs .describe() in src/config.ts`).toBeTruthy();
      expect(table).toContain(`| \`${name}\` |`);
    }
  });

  it('documents every route of the OpenAPI document in docs/api.md', () => {
    const api = read('docs/api.md');
    const paths = openApiDocument(loadConfig({})).paths as Record<string, Record<string, unknown>>;
    const missing = Object.entries(paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)
        .filter((route) => !new RegExp(`\`${route.replace(/[.?*+^$()|[\]\\]/g, '\\$&')}[\`?]`).test(api)),
    );
    expect(missing).toEqual([]);
  });

  it('lists every rule id a refusal can name in docs/rules.md', () => {
    const rules = read('docs/rules.md');
    for (const def of registeredMachines()) {
      const ids = [...Object.values(def.rules).filter((r) => r.kind !== 'role'), ...def.effectRules].map((r) => r.id);
      for (const id of ids) expect(rules, `${def.name}@${def.version} ${id}`).toContain(`\`${id}\``);
    }
  });

  it('has README.md within 250 lines, and every relative link in the docs resolves', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(250);
    const files = markdown();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/operations.md']));
    const broken = files.flatMap((file) => linksOf(file).map((target) => brokenLink(file, target)));
    expect(broken.filter(Boolean)).toEqual([]);
    // The check itself finds a broken link and a missing heading.
    expect(brokenLink('README.md', 'docs/nothing-here.md')).toMatch(/no docs\/nothing-here.md/);
    expect(brokenLink('README.md', 'docs/api.md#no-such-heading')).toMatch(/no heading/);
  });

  it('points at nothing outside the repository', () => {
    // Built from parts, so this file does not match itself.
    const outside = new RegExp(['\\.\\./', 'shared', '|', 'shared/', '(API|DESIGN|STYLE)\\.md'].join(''));
    const specs = /\b(API|DESIGN|STYLE)\.md\b/;
    const text = (f: string) => (/\.(png|jpg|ico|lockb)$/.test(f) ? '' : read(f));
    const files = tracked().filter((f) => existsSync(join(ROOT, f)));
    expect(files.filter((f) => outside.test(text(f)))).toEqual([]);
    // The spec files by name: what they said is written into docs/ in this repository's own words.
    expect(files.filter((f) => specs.test(text(f)))).toEqual([]);
  });
});

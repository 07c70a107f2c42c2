import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registeredMachines } from '../../machines/registry.js';
import { messageTemplates, ruleCounts } from '../../scripts/docs/rule-table.js';

const DOC = new URL('../../docs/rules.md', import.meta.url);

// Freshness of the generated block is test/docs/docs.test.ts's (every generated block of the docs).
describe('docs/rules.md', () => {
  it('lists every rule id of every machine version, with its count', () => {
    const doc = readFileSync(DOC, 'utf8');
    for (const def of registeredMachines()) {
      const section = doc.split(`### ${def.name}@${def.version}\n`)[1]!.split('\n### ')[0]!;
      const { guards, ruleIds } = ruleCounts(def);
      expect(section).toContain(`${guards} guards, ${ruleIds} rule ids.`);
      for (const rule of Object.values(def.rules)) expect(section).toContain(`| \`${rule.id}\` | ${rule.kind} |`);
      for (const rule of def.effectRules) expect(section).toContain(`| \`${rule.id}\` | effect |`);
    }
  });
});

describe('messageTemplates', () => {
  it("reads a message function's template literals, each value as {expression}, fallbacks dropped", () => {
    const rule = {
      message: ({ context, event }: { context: { n: number; o: { k?: string } }; event: { type: string } }) =>
        context.n > 1
          ? `${event.type} of ${context.o.k ?? '{none}'} exceeds ${String({ a: 1 }.a + context.n)}.`
          : `Only "${event.type}" here: \`quoted\`, ` + `${context.n} times.`,
    };
    expect(messageTemplates(rule)).toEqual([
      '{event.type} of {context.o.k} exceeds {String({a:1}.a+context.n)}.',
      'Only "{event.type}" here: \\`quoted\\`, {context.n} times.',
    ]);
  });
});

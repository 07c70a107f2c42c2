import type { MachineDefinition } from '../../machines/definition.js';
import { registeredMachines } from '../../machines/registry.js';
import type { Rule } from '../../machines/rules.js';
import { ruleNames, type TransitionLike } from '../../src/engine/guard-tree.js';

// The rule ids a refusal names (`error.rule`), per machine version, from the registered rule books (the `rules` block
// of docs/rules.md, written by `npm run docs:generate`): each guard's id, kind, the events that check it and its
// message template, then the effect rules. A message template is read from the rule's own message function: its
// template literals, each `${…}` shown as `{…}`. An instance keeps the rules of the version it is pinned to, so
// each version is listed on its own.

interface NodeLike {
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
}

/** Each guard name of a version with the events whose transitions check it. */
function eventsByGuard(def: MachineDefinition): Map<string, Set<string>> {
  const byGuard = new Map<string, Set<string>>();
  const visit = (node: NodeLike) => {
    for (const [event, transitions] of node.transitions)
      for (const t of transitions)
        for (const name of ruleNames(t.guard)) byGuard.set(name, (byGuard.get(name) ?? new Set()).add(event));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(def.machine.root);
  return byGuard;
}

/** The end of the `${…}` whose expression starts at `from`: braces, strings and nested templates skipped. */
function expressionEnd(source: string, from: number): number {
  let depth = 1;
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (c === '"' || c === "'" || c === '`') i = quotedEnd(source, i);
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  throw new Error('unterminated ${ in a message function');
}

/** The index of the quote closing the string or template literal opened at `from`. */
function quotedEnd(source: string, from: number): number {
  const quote = source[from];
  for (let i = from + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (quote === '`' && source.startsWith('${', i)) i = expressionEnd(source, i + 2);
    else if (source[i] === quote) return i;
  }
  throw new Error('unterminated string in a message function');
}

/**
 * `{expr}` for a `${expr}`: spacing removed and a `??` fallback dropped, so the text is the same whichever tool
 * compiled the function; an imported function's name as written, where a module loader calls it as
 * `(0, __import_1__.name)(…)` (vitest, and esbuild's CommonJS output).
 */
const placeholder = (expression: string) =>
  `{${expression
    .replace(/\?\?.*$/s, '')
    .replace(/\s+/g, '')
    .replace(/\(0,[\w$]+\.([\w$]+)\)/g, '$1')}}`;

/** The text of the template literal from `open` to `close` (its backticks), each `${expr}` as `{expr}`. */
function templateText(source: string, open: number, close: number): string {
  let text = '';
  for (let j = open + 1; j < close; j++) {
    if (!source.startsWith('${', j)) text += source[j];
    else {
      const end = expressionEnd(source, j + 2);
      text += placeholder(source.slice(j + 2, end));
      j = end;
    }
  }
  return text;
}

/**
 * The messages a message function returns, in source order, as templates. Literals joined with `+` (a long
 * message split over lines) are one message, as a minifier that folds them would also make them.
 */
export function messageTemplates(rule: Pick<Rule<unknown, unknown>, 'message'>): string[] {
  const source = rule.message.toString();
  const templates: string[] = [];
  let joined = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '"' || c === "'") i = quotedEnd(source, i);
    if (c !== '`') continue;
    const end = quotedEnd(source, i);
    const text = templateText(source, i, end);
    if (joined) templates.push(`${templates.pop()!}${text}`);
    else templates.push(text);
    joined = /^\s*\+\s*`/.test(source.slice(end + 1));
    i = end;
  }
  if (templates.length === 0) throw new Error(`no template literal in message function ${source}`);
  return templates;
}

/** Guards and distinct rule ids of one version (the closing note's counts). */
export function ruleCounts(def: MachineDefinition): { guards: number; ruleIds: number } {
  const ids = new Set([...Object.values(def.rules).map((r) => r.id), ...def.effectRules.map((r) => r.id)]);
  return { guards: Object.keys(def.rules).length, ruleIds: ids.size };
}

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (text: string) => `\`${text}\``;

function guardRow(name: string, rule: Rule<unknown, unknown>, events: ReadonlySet<string> | undefined): string {
  const templates = messageTemplates(rule).map((t) => cell(t));
  const on = [...(events ?? [])].sort().map(code).join(', ') || '—';
  return `| ${code(rule.id)} | ${rule.kind} | ${code(name)} | ${on} | ${templates.join('<br>')} |`;
}

function versionSection(def: MachineDefinition): string[] {
  const events = eventsByGuard(def);
  const { guards, ruleIds } = ruleCounts(def);
  const rows = Object.entries(def.rules)
    .sort(([, a], [, b]) => a.id.localeCompare(b.id))
    .map(([name, rule]) => guardRow(name, rule, events.get(name)));
  const effects = def.effectRules.map(
    (r) => `| ${code(r.id)} | effect | — | ${r.events.map(code).join(', ')} | refused unless ${cell(r.requires)} |`,
  );
  return [
    `### ${def.name}@${def.version}`,
    '',
    `${guards} guards, ${ruleIds} rule ids.`,
    '',
    '| rule id | kind | guard | checked on | message template |',
    '|---|---|---|---|---|',
    ...rows,
    ...effects,
    '',
  ];
}

/** The `rules` block of docs/rules.md: one section per registered machine version. */
export function ruleTable(): string {
  const versions = [...registeredMachines()].sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version);
  return versions.flatMap(versionSection).join('\n').trimEnd();
}

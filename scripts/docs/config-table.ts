import type { z } from 'zod';
import { configSchema } from '../../src/config.js';

// The configuration table of docs/operations.md, from the schema the service validates its environment with:
// name, default, accepted range and the `.describe()` text, so the page cannot drift from the code.

interface FieldDef {
  type: string;
  defaultValue?: unknown;
  innerType?: z.ZodType;
}

const UNITS: [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1_000, 's'],
];

/** 1209600000 → "14 d": a reader should not count zeros to see a fortnight. */
function humanMs(ms: number): string | null {
  for (const [size, unit] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return null;
}

function defaultText(name: string, value: unknown): string {
  if (value === '') return 'empty';
  const text = `\`${String(value)}\``;
  const inMs = /(_MS|_TTL)$/.test(name) && typeof value === 'number' ? humanMs(value) : null;
  return inMs ? `${text} (${inMs})` : text;
}

/** What a value may be: a numeric range, or the choices of an enum. */
function rangeText(inner: z.ZodType | undefined): string {
  if (!inner) return '';
  const numeric = inner as unknown as { minValue?: number | null; maxValue?: number | null };
  if (typeof numeric.minValue === 'number' && typeof numeric.maxValue === 'number')
    return `${numeric.minValue.toLocaleString('en-US')} … ${numeric.maxValue.toLocaleString('en-US')}`;
  const choices = (inner as unknown as { options?: unknown[] }).options;
  if (Array.isArray(choices)) return choices.map((c) => `\`${String(c)}\``).join(', ');
  return '';
}

/** Markdown escapes for a table cell. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('<', '&lt;');

export function configTable(): string {
  const rows = Object.entries(configSchema.shape).map(([name, field]) => {
    const description = (field as z.ZodType).description;
    if (!description) throw new Error(`${name} in src/config.ts has no .describe(): every variable is documented`);
    const def = (field as unknown as { _zod: { def: FieldDef } })._zod.def;
    const fallback = def.type === 'default' ? defaultText(name, def.defaultValue) : '(required)';
    return `| \`${name}\` | ${cell(fallback)} | ${cell(rangeText(def.innerType))} | ${cell(description)} |`;
  });
  return ['| variable | default | accepted | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

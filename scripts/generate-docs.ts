// `npm run docs:generate`: rewrites the generated blocks of the docs (scripts/docs/generated-sections.ts) from the
// code. test/docs/docs.test.ts fails while a committed page differs from what this would write.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPages } from './docs/generated-sections.js';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const page of renderPages(root)) {
  if (page.current === page.expected) continue;
  writeFileSync(`${root}/${page.file}`, page.expected);
  console.log(`wrote ${page.file}`);
}

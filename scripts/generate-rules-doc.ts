import { writeFileSync } from 'node:fs';
import { registeredMachines } from '../machines/registry.js';
import { renderRulesDoc, ruleCounts } from './rules-doc.js';

// `npm run docs:rules`: writes docs/rules.md from the machines' rule books and prints, per machine version, how
// many guards and rule ids it has.
const target = new URL('../docs/rules.md', import.meta.url);
writeFileSync(target, renderRulesDoc());
for (const def of registeredMachines()) {
  const { guards, ruleIds } = ruleCounts(def);
  console.log(`${def.name}@${def.version}: ${guards} guards, ${ruleIds} rule ids`);
}
console.log(`wrote ${target.pathname}`);

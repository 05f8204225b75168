// `npm run redos`: recheck every regular expression of src/ and rewrite test/security/redos-verdicts.json.
import { join } from 'node:path';
import { regenerate, superQuadratic } from '../test/security/redos.js';

const root = join(import.meta.dirname, '..');
const all = await regenerate(root);
const counts = new Map<string, number>();
for (const v of Object.values(all)) counts.set(v.complexity, (counts.get(v.complexity) ?? 0) + 1);
console.log(`redos: ${Object.keys(all).length} patterns:`, Object.fromEntries(counts));
for (const [k, v] of Object.entries(all)) if (superQuadratic(v)) console.log(`  ${v.complexity}${v.bounded ? ` (bounded: ${v.bounded})` : ' UNBOUNDED'}: ${k}`);

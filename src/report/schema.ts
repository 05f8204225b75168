// Validation of run documents against the JSON Schema in schemas/ (the documented contract):
// `kreview report` checks a saved run with it, the tests check every output.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { PACKAGE_ROOT } from '../paths.js';

export const RUN_SCHEMA_PATH = join(PACKAGE_ROOT, 'schemas', 'kreview-run.schema.json');

let validate: ValidateFunction | null = null;

/** Problems with `doc` as a run document, as `/findings/3/line: must be integer`; [] when it is one. */
export function validateRunDocument(doc: unknown): string[] {
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    validate = ajv.compile(JSON.parse(readFileSync(RUN_SCHEMA_PATH, 'utf8')));
  }
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`);
}

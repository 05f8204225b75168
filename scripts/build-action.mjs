// Builds the GitHub Action's single bundle, action/index.mjs, with the tree-sitter wasm files
// beside it, so the Action installs nothing when it runs. `npm run build:action`; a test fails
// when the committed bundle differs from a fresh build.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const out = process.argv[2] ?? join(root, 'action');
const wts = JSON.parse(readFileSync(join(dirname(require.resolve('web-tree-sitter')), 'package.json'), 'utf8')).version;

mkdirSync(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/action/main.ts'],
  outfile: join(out, 'index.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'eof',
  logLevel: 'warning',
  // CommonJS dependencies call require(); the bundle tells kreview what it was built with.
  banner: {
    js: [
      "import { createRequire as __kreviewCreateRequire } from 'node:module';",
      'const require = __kreviewCreateRequire(import.meta.url);',
      `globalThis.__kreviewBundle = { webTreeSitter: ${JSON.stringify(wts)} };`,
    ].join('\n'),
  },
});
copyFileSync(require.resolve('web-tree-sitter/tree-sitter.wasm'), join(out, 'tree-sitter.wasm'));
copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), join(out, 'tree-sitter-c.wasm'));

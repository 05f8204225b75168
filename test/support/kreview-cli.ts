// kreview's CLI as its own process, from the sources (for tests that signal or kill it).
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv.slice(2));

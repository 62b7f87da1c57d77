// Entry point of `npm start` and bin/otrbnc.js: otrbnc [command] [--config FILE] [--data-dir DIR].
import { runCli } from './cli/index.ts';

const code = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
process.exit(code);

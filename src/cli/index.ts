import { runCli } from './run-cli.js';

// `npm run --silent cli -- <command>`: the process around runCli (run-cli.ts), which the tests call in-process.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

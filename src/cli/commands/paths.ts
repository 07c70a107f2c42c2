import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { machineVersions, pinnedMachine } from '../../../machines/registry.js';
import { generatePaths, type Strategy } from '../../paths/generate.js';
import { vitestFile } from '../../paths/vitest-file.js';
import type { CliRun } from '../cli-run.js';

const STRATEGIES: readonly Strategy[] = ['shortest', 'simple', 'transitions'];

// Written beside a generated file saved into a directory of its own, so vitest finds it there: vitest's default
// include pattern does not match .test.mjs files in every setup, and path steps wait on a live deployment.
const VITEST_CONFIG = "export default { test: { include: ['*.test.mjs'], testTimeout: 120_000 } };\n";

const isDirectory = (target: string) =>
  stat(target).then(
    (s) => s.isDirectory(),
    () => false,
  );

/**
 * `--out <file>` writes the file there; `--out <dir>` (an existing directory) writes <dir>/<machine>.test.mjs (or
 * .json) and, for vitest, <dir>/vitest.config.mjs unless one is there, so `npx vitest run --root <dir>` runs it.
 */
async function writeOut(run: CliRun, out: string, machine: string, format: 'json' | 'vitest', text: string) {
  if (!(await isDirectory(out))) return writeFile(out, text);
  const file = path.join(out, `${machine}.${format === 'json' ? 'paths.json' : 'test.mjs'}`);
  await writeFile(file, text);
  if (format === 'vitest') {
    await writeFile(path.join(out, 'vitest.config.mjs'), VITEST_CONFIG, { flag: 'wx' }).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    });
  }
  run.err(`wrote ${file}${format === 'vitest' ? `; run it with: npx vitest run --root ${out}` : ''}\n`);
}

export function registerPathsCommand(program: Command, run: CliRun): void {
  program
    .command('paths')
    .description('Generate event sequences from a machine (model-based testing) as JSON or as a ready vitest file')
    .argument('<machine>', 'milestone or project')
    .option('--version <n>', 'machine version (default: the latest)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
      return n;
    })
    .option(
      '--strategy <s>',
      STRATEGIES.join('|'),
      (v) => {
        if (!(STRATEGIES as readonly string[]).includes(v))
          throw new InvalidArgumentError(`must be one of ${STRATEGIES.join(', ')}`);
        return v as Strategy;
      },
      'shortest',
    )
    .option(
      '--format <f>',
      'json|vitest',
      (v) => {
        if (v !== 'json' && v !== 'vitest') throw new InvalidArgumentError('must be json or vitest');
        return v;
      },
      'json',
    )
    .option('--out <file|dir>', 'write to this file, or into this directory (with a vitest config), not stdout')
    .action(
      async (
        machine: string,
        opts: { version?: number; strategy: Strategy; format: 'json' | 'vitest'; out?: string },
      ) => {
        const versions = machineVersions(machine);
        const latest = versions[versions.length - 1];
        if (!latest) throw new InvalidArgumentError(`unknown machine ${machine}`);
        const def = pinnedMachine(machine, opts.version ?? latest.version);
        const generated = generatePaths(def, opts.strategy);
        const text = opts.format === 'json' ? `${JSON.stringify(generated, null, 2)}\n` : vitestFile(def, generated);
        if (opts.out) await writeOut(run, opts.out, def.name, opts.format, text);
        else run.out(text);
      },
    );
}

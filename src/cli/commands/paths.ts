import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { machineVersions, pinnedMachine } from '../../../machines/registry.js';
import { generatePaths, type Strategy } from '../../paths/generate.js';
import { vitestFile } from '../../paths/vitest-file.js';
import type { CliRun } from '../cli-run.js';

const STRATEGIES: readonly Strategy[] = ['shortest', 'simple', 'transitions'];

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
    .option('--out <file>', 'write to this file instead of standard output')
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
        if (opts.out) await writeFile(opts.out, text);
        else run.out(text);
      },
    );
}

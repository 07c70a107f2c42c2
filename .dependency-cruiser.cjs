// Import direction between the layers (npm run lint): machines ← engine/ledger ← api/workers/cli.
// Machines decide and stay pure; the engine, ledger and their helpers persist and move money; the API, the
// workers and the CLI are the edges that call them. A module never imports a layer above its own, so the
// decision logic can be read, tested and replayed without the edges (STYLE §1, §3).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'machines-are-pure',
      comment: 'machines/ decide without I/O: they import only each other, xstate, zod and the money primitive.',
      severity: 'error',
      from: { path: '^machines/' },
      to: { path: '^(src|workers|migrations|test|bench)/', pathNot: '^src/money\\.ts$' },
    },
    {
      name: 'core-below-edges',
      comment:
        'Engine, ledger and the modules beside them never import the API, the workers or the CLI. The start-up ' +
        'warm-up (src/warmup/) composes the API and the settlement worker as service.ts does, so it may.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(api|cli|warmup)/|^src/(service|main)\\.ts$' },
      to: { path: '^src/(api|cli)/|^workers/' },
    },
    {
      name: 'edges-apart',
      comment: 'The API, the workers and the CLI are siblings: what two of them share lives below them.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/cli/|^workers/' },
    },
    {
      name: 'edges-apart-workers',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: '^src/(api|cli)/' },
    },
    {
      name: 'edges-apart-cli',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'leaves-stay-leaves',
      comment: 'Configuration, ids, money, errors and the logger are imported by everything, so they import no layer.',
      severity: 'error',
      from: { path: '^src/(config|ids|money|logger)\\.ts$|^src/(errors|net)/' },
      to: { path: '^(src|machines|workers)/', pathNot: '^src/(config|ids|money|logger)\\.ts$|^src/(errors|net)/' },
    },
    {
      name: 'ledger-below-engine',
      comment: 'The engine moves money through the ledger (fee holds); the ledger knows nothing of machines or events.',
      severity: 'error',
      from: { path: '^src/ledger/' },
      to: { path: '^src/engine/|^machines/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'product-not-on-tests',
      severity: 'error',
      from: { path: '^(src|machines|workers|migrations)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

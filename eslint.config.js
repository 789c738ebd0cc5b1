import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The import direction of DESIGN.md ("Layers and the rule between them"), per directory of src/:
 * what each layer may import of ours. Anything else reached with `../` is an error. The composition
 * root (src/gateway.ts) and the CLI (src/cli/) wire everything and are not restricted.
 * `cluster interfaces` are the interface files only, never an implementation (local-*, redis-*, …).
 */
const CLUSTER_INTERFACES = ['broker', 'cache-store', 'channel-registry', 'cluster', 'history-store', 'presence-store'];
/** What an allowed name matches after the `../`s that leave a layer. */
const TARGETS = {
  protocol: 'protocol/',
  seams: 'seams/',
  edge: 'edge/',
  apps: 'apps/',
  core: 'core/',
  'cluster interfaces': `cluster/(?:${CLUSTER_INTERFACES.join('|')})\\.js$`,
};
export const LAYERS = {
  protocol: { allowed: [], why: 'protocol is pure: it imports nothing of ours' },
  lookup: { allowed: [], why: 'lookup is independent of the gateway' },
  seams: { allowed: ['protocol'], why: 'the seams (interfaces between layers) see only protocol' },
  edge: { allowed: ['protocol', 'seams'], why: 'the edge sees only protocol and the seams' },
  apps: { allowed: ['protocol'], why: 'apps sees only protocol' },
  cluster: { allowed: ['protocol'], why: 'cluster sees only protocol' },
  transport: { allowed: ['protocol', 'seams', 'edge'], why: 'transport never imports core' },
  core: { allowed: ['protocol', 'seams', 'apps', 'cluster interfaces'], why: 'core sees protocol and interfaces, never a transport or a cluster implementation' },
  backend: { allowed: ['protocol', 'seams', 'edge', 'apps', 'cluster interfaces', 'core'], why: 'backend and ops do not import each other' },
  ops: { allowed: ['protocol', 'seams', 'edge', 'apps', 'cluster interfaces', 'core'], why: 'backend and ops do not import each other' },
};

/** One config entry per layer and directory depth: `depth` times `../` leaves the layer for src/. */
function layerRules() {
  const entries = [];
  for (const [layer, { allowed, why }] of Object.entries(LAYERS)) {
    const permitted = allowed.length > 0 ? `(?!(?:${allowed.map((name) => TARGETS[name]).join('|')}))` : '';
    const message = `${why}. src/${layer} may import ${allowed.length > 0 ? 'only ' + allowed.join(', ') : 'nothing outside itself'} (DESIGN.md, layers).`;
    for (let depth = 1; depth <= 3; depth++) {
      entries.push({
        files: [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`],
        rules: {
          'no-restricted-imports': ['error', { patterns: [{ regex: `^(?:\\.\\./){${depth}}${permitted}`, message }] }],
          'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'Static imports only in the layers of src/, so the layer rule sees every import.' }],
        },
      });
    }
  }
  return entries;
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/**/node_modules/', 'bench/results/', 'examples/**/vendor/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  ...layerRules(),
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', window: 'readonly', document: 'readonly', performance: 'readonly', fetch: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

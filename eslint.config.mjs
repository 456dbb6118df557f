// Lint: typescript-eslint's recommended rules plus Nx's module-boundary rule, made real with tags.
// protocol depends on nothing of ours; services (broker, schema-registry, rest-proxy, connect) depend on protocol;
// connectors depend on connect and protocol; only apps compose packages; nothing imports apps or tools.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // Tests exercise their own package through its public entry point, as users do.
          allowCircularSelfDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:protocol', onlyDependOnLibsWithTags: ['scope:protocol'] },
            { sourceTag: 'scope:service', onlyDependOnLibsWithTags: ['scope:protocol'] },
            { sourceTag: 'scope:connector', onlyDependOnLibsWithTags: ['scope:service', 'scope:protocol'] },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:service', 'scope:connector', 'scope:protocol'] },
            { sourceTag: 'scope:tool', onlyDependOnLibsWithTags: ['scope:service', 'scope:connector', 'scope:protocol'] },
          ],
        },
      ],
    },
  },
];

// The one Jest preset every project shares: TypeScript through SWC (type checking is `npm run typecheck`),
// workspace packages resolved to their sources so tests never need a build first.
const path = require('node:path');
const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' }, sourceMaps: 'inline' },
    ],
    // ESM-only test clients (@platformatic/kafka and its @platformatic helpers) compiled to CommonJS for Jest, which
    // cannot require() ES modules before Node 24.9 (import.meta.url becomes pathToFileURL(__filename)).
    '/node_modules/@platformatic/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@platformatic/)'],
  // 'node': native addons that require their .node binary without the extension (node-lz4, used by kafkajs-lz4).
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  moduleNameMapper: {
    '^@tributary/([a-z-]+)$': path.join(root, 'packages/$1/src/index.ts'),
    '^@tributary/([a-z-]+)/([a-z-]+)$': path.join(root, 'packages/$1/src/$2.ts'),
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

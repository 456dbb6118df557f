// Two suites: `unit` (npm test) needs nothing but npm packages; `compat` (npm run test:compat) drives
// system programs (kcat, librdkafka via Python, kafka-python, databases) that tools/compat/install.sh installs.
const preset = require('./jest.preset.js');
const roots = ['<rootDir>/packages', '<rootDir>/apps', '<rootDir>/tools'];

module.exports = {
  projects: [
    { ...preset, displayName: 'unit', roots, testMatch: ['**/*.test.ts'], testPathIgnorePatterns: [...preset.testPathIgnorePatterns, '\\.compat\\.test\\.ts$'] },
    { ...preset, displayName: 'compat', roots, testMatch: ['**/*.compat.test.ts'] },
  ],
};

module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'schema-registry',
  rootDir: __dirname,
};

module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'connect',
  rootDir: __dirname,
};

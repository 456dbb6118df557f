module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'rest-proxy',
  rootDir: __dirname,
};

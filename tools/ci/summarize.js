#!/usr/bin/env node
// Sums Jest --json result files into the one line CI reads: `tests: N passed, M failed`.
// Exits 1 if any file is missing or unreadable, any test or suite failed, or no test ran at all.
const fs = require('node:fs');

let passed = 0;
let failed = 0;
let broken = false;
for (const file of process.argv.slice(2)) {
  let r;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`summarize: cannot read ${file}: ${e.message}`);
    broken = true;
    continue;
  }
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A suite that fails to load (syntax error, missing module) has no failed tests but is a failure.
  if (r.numRuntimeErrorTestSuites > 0 || r.numFailedTestSuites > 0) {
    console.error(`summarize: ${file}: ${r.numFailedTestSuites} failed suites, ${r.numRuntimeErrorTestSuites} suites did not run`);
    broken = true;
  }
  if (r.numPendingTests > 0) {
    console.error(`summarize: ${file}: ${r.numPendingTests} skipped tests (a skipped test is a defect)`);
    broken = true;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(broken || failed > 0 || passed === 0 ? 1 : 0);

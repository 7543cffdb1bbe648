// Prints "N passed, N failed" from a JUnit report written by jest-junit.
const { readFileSync, existsSync } = require('node:fs');

const file = process.argv[2];
const taskStatus = Number(process.argv[3] ?? 0);
if (!existsSync(file)) {
  console.log(`no test report at ${file}`);
  process.exit(1);
}
const xml = readFileSync(file, 'utf8');
const suites = /<testsuites\b[^>]*>/.exec(xml);
const attribute = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suites ? suites[0] : '')?.[1] ?? 0);
const total = attribute('tests');
let failed = attribute('failures') + attribute('errors');
if (taskStatus !== 0 && failed === 0) {
  console.log('the test command failed after the unit tests (type check, eslint or integration snapshots): counted as one failure');
  failed = 1;
}
const skipped = (xml.match(/<skipped\b/g) ?? []).length;
const passed = total - attribute('failures') - attribute('errors') - skipped;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(total > 0 ? 0 : 1);

// Prints "N passed, N failed" from a JUnit report written by jest-junit.
const { readFileSync, existsSync } = require('node:fs');

const file = process.argv[2];
if (!existsSync(file)) {
  console.log(`no test report at ${file}`);
  process.exit(1);
}
const xml = readFileSync(file, 'utf8');
const suites = /<testsuites\b[^>]*>/.exec(xml);
const attribute = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suites ? suites[0] : '')?.[1] ?? 0);
const total = attribute('tests');
const failed = attribute('failures') + attribute('errors');
const skipped = (xml.match(/<skipped\b/g) ?? []).length;
const passed = total - failed - skipped;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(total > 0 ? 0 : 1);

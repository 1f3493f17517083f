/**
 * Starts the long test files first, so the two workers finish together instead of one running the
 * terraform plan alone at the end (a clean clone has no timings for jest to order by).
 */
const Sequencer = require("@jest/test-sequencer").default;

const FIRST = ["aws/terraform-plan.test.ts", "cli/deploy.test.ts", "policy/synthesized.test.ts", "cli/bad-input.test.ts"];
const rank = (path) => {
  const i = FIRST.findIndex((f) => path.replace(/\\/g, "/").endsWith(`__tests__/${f}`));
  return i === -1 ? FIRST.length : i;
};

class LongFirst extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    return [...ordered].sort((a, b) => rank(a.path) - rank(b.path));
  }
}

module.exports = LongFirst;

/**
 * Starts the long test files first, so the two workers finish together instead of one running the
 * terraform plan alone at the end (a clean clone has no timings for jest to order by). The first three
 * are mostly child processes (terraform, cdktf-cli, npm start); shodan-retries mostly waits on got's
 * real retry delays, so it goes early too, while those processes keep both cores busy.
 */
const Sequencer = require("@jest/test-sequencer").default;

const FIRST = ["aws/terraform-plan.test.ts", "cli/deploy.test.ts", "cli/bad-input.test.ts", "functions/shodan/shodan-retries.test.ts"];
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

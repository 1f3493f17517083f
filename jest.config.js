/** Tests run through swc (no type-checking: that is `npm run typecheck`). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  // Synth tests are memory-heavy; two workers match the 2-core CI machine.
  maxWorkers: 2,
  // cdktf's token stack traces off, as in the app's own synth (see the file).
  setupFiles: ["<rootDir>/__tests__/helpers/cdktf-traces.js"],
  testSequencer: "<rootDir>/__tests__/helpers/sequencer.js",
  testTimeout: 60000,
};

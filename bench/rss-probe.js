/**
 * Peak-RSS probe for bench/synth.ts, loaded with an extra `--require`. On exit it writes this
 * process's peak resident set size (`process.resourceUsage().maxRSS`, KiB on Linux and macOS) to the
 * file named by LURE_RSS_FILE. Does nothing when that variable is unset. Plain JS so it needs no
 * transpiler and costs nothing measurable.
 */
"use strict";
const file = process.env.LURE_RSS_FILE;
if (file) {
  // Keep the variable out of any node child this process might start.
  delete process.env.LURE_RSS_FILE;
  process.on("exit", () => {
    try {
      require("fs").writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // A benchmark probe must never change the exit status of what it measures.
    }
  });
}

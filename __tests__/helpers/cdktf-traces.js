/**
 * Jest setup file (jest.config.js `setupFiles`): cdktf captures a full-depth stack trace for every
 * token it creates, and under jest each frame goes through source-map-support, so a synth of the
 * default aws-honeynet spends about a quarter of its time mapping traces nobody reads. The app does
 * without them in every real synth (modules/core/cli/synth-preload.js, same stub, same reasoning:
 * cdktf reads them only to say where an unresolvable token was created, and the synthesized JSON is
 * byte-identical), so the construct tests now synthesize as the app does. Runs in each test file's
 * module registry, before the file loads cdktf (a file that resets its modules gets cdktf's own again).
 */
try {
  require("cdktf/lib/tokens/private/stack-trace.js").captureStackTrace = () => [];
} catch {
  // not found: keep cdktf's own behaviour
}

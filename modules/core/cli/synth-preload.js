// The app command (cdktf.json) also runs node with --max-semi-space-size=2: synth builds a construct
// tree that lives to the end, and with V8's default young generation (up to 16 MB a semi-space) each
// scavenge copies those objects again before promoting them. With 2 MB they are promoted early; synth of
// the default config takes ~9 % less wall time and ~30 MB less peak RSS (bench/README.md), the baseline
// app none either way.
// Preloaded by the synth app command (cdktf.json). cdktf captures a stack trace for every token it
// creates; with tsx's source maps on, Node maps each of those frames, which costs ~150 ms and ~25 MB
// on the default config. Synth needs no mapped traces (config errors are reported by lure itself).
process.setSourceMapsEnabled(false);

// The traces themselves (full depth, split into lines, for every token) still cost ~30 ms of a
// ~480 ms synth. cdktf reads them only to say where an unresolvable token was created, an error lure's
// constructs do not produce; the synthesized JSON is byte-identical without them. cdktf is archived
// at 0.21.0, so this private module cannot move under us; if it ever does, synth just keeps the traces.
try {
  const traces = require(require.resolve("cdktf/lib/tokens/private/stack-trace.js", { paths: [__dirname] }));
  traces.captureStackTrace = () => [];
} catch {
  // not found: keep cdktf's own behaviour
}

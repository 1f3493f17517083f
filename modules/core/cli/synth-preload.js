// Preloaded by the synth app command (cdktf.json). cdktf captures a stack trace for every token it
// creates; with tsx's source maps on, Node maps each of those frames, which costs ~150 ms and ~25 MB
// on the default config. Synth needs no mapped traces (config errors are reported by lure itself).
process.setSourceMapsEnabled(false);

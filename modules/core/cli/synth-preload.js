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

// tsx checks every .js file it loads for ESM syntax (a lexer pass over the whole source) to decide
// whether to transform it, and Node 20 compiles every file from scratch. The provider bindings are
// large jsii-built CommonJS files: lexing them was ~350 ms of the default config's synth and
// compiling them is most of the rest of the load. Those packages are CommonJS by construction, so
// their files skip the lexer and are compiled as Node would, but with V8's code cache, kept in
// node_modules/.cache/lure/v8 (keyed by path, size, mtime and the Node version, so an update of a
// package or of Node compiles afresh; a cache V8 rejects is only slower). Everything else still goes
// through tsx.
{
  const Module = require("module");
  const fs = require("fs");
  const path = require("path");
  const vm = require("vm");
  const { createHash } = require("crypto");
  const viaTsx = Module._extensions[".js"];
  const COMMONJS = /[\\/]node_modules[\\/](?:@cdktf[\\/]provider-(?:aws|azurerm|google)|cdktf|constructs)[\\/]/;
  const CACHE = path.join(__dirname, "..", "..", "..", "node_modules", ".cache", "lure", "v8");
  const made = [];
  let cacheReady = false;
  Module._extensions[".js"] = function lureJs(module, filename) {
    if (!COMMONJS.test(filename)) return viaTsx(module, filename);
    const source = fs.readFileSync(filename, "utf8");
    const stat = fs.statSync(filename);
    const key = createHash("sha1").update(`${filename}\0${stat.size}\0${stat.mtimeMs}\0${process.version}\0${process.arch}`).digest("hex");
    const cacheFile = path.join(CACHE, `${key}.bin`);
    let cachedData;
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
    const script = new vm.Script(Module.wrap(source), { filename, cachedData });
    const fn = script.runInThisContext({ displayErrors: true });
    const require = (id) => module.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
    require.cache = Module._cache;
    require.main = process.mainModule;
    fn.call(module.exports, module.exports, require, module, filename, path.dirname(filename));
    // After the run, so the cache also holds the functions the load compiled.
    if (cachedData === undefined || script.cachedDataRejected) made.push([cacheFile, script]);
  };
  process.once("exit", () => {
    for (const [file, script] of made) {
      try {
        if (!cacheReady) fs.mkdirSync(CACHE, { recursive: true });
        cacheReady = true;
        // Write then rename: parallel synths never read a half-written entry.
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, file);
      } catch {
        // no cache: the next synth compiles again
      }
    }
  });
}

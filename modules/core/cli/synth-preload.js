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

// The app runs without tsx: lure's own TypeScript is compiled here, and tsx's resolver hooks, which
// run on every require (the provider bindings' thousands included), and its ESM lexer pass over every
// .js file it loads are gone. Each file costs one esbuild transform the first time (tsx uses esbuild too,
// with the same tsconfig, so the code is the same), then none: the JavaScript and V8's code cache for it
// are kept in node_modules/.cache/lure/v8, keyed by the file's content, esbuild's version and the
// tsconfig. The provider bindings, cdktf and constructs are CommonJS by construction: they run as Node
// would run them, but minus comments and whitespace (esbuild's minifyWhitespace, nothing renamed) and
// with V8's code cache, both kept under the same key (path, size, mtime and the Node version, so an
// update of a package or of Node compiles afresh; a cache V8 rejects is only slower). JSDoc is ~80 % of
// a binding's bytes: the default config loads 27.5 MB of provider code as shipped, 5.2 MB stripped, and
// synth takes ~25 % less wall time and ~50 MB less peak RSS (bench/README.md); the synthesized JSON is
// byte-identical. The price: a stack trace from inside a binding points into the stripped copy, not the
// file on disk. Under tsx (tests and scripts that preload it) tsx keeps handling .ts files.
{
  const Module = require("module");
  const fs = require("fs");
  const path = require("path");
  const vm = require("vm");
  const { createHash } = require("crypto");
  const ROOT = path.join(__dirname, "..", "..", "..");
  const viaDefault = Module._extensions[".js"];
  const COMMONJS = /[\\/]node_modules[\\/](?:@cdktf[\\/]provider-(?:aws|azurerm|google)|cdktf|constructs)[\\/]/;
  const CACHE = path.join(ROOT, "node_modules", ".cache", "lure", "v8");
  const made = [];
  let cacheReady = false;
  let esbuildLib;
  const sha1 = (text) => createHash("sha1").update(text).digest("hex");
  const readOrUndefined = (file) => {
    try {
      return fs.readFileSync(file);
    } catch {
      return undefined;
    }
  };

  /** Runs `code` as the CommonJS module `module`, compiled with the code cache in `cacheFile`. */
  const run = (module, filename, code, cacheFile) => {
    const cachedData = readOrUndefined(cacheFile);
    const script = new vm.Script(Module.wrap(code), { filename, cachedData });
    const fn = script.runInThisContext({ displayErrors: true });
    const require = (id) => module.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
    require.cache = Module._cache;
    require.main = process.mainModule;
    fn.call(module.exports, module.exports, require, module, filename, path.dirname(filename));
    // After the run, so the cache also holds the functions the load compiled.
    if (cachedData === undefined || script.cachedDataRejected) made.push([cacheFile, () => script.createCachedData()]);
  };

  Module._extensions[".js"] = function lureJs(module, filename) {
    if (!COMMONJS.test(filename)) return viaDefault(module, filename);
    const stat = fs.statSync(filename);
    const key = sha1(`${filename}\0${stat.size}\0${stat.mtimeMs}\0${process.version}\0${process.arch}`);
    const jsFile = path.join(CACHE, `${key}.min.js`);
    let code = readOrUndefined(jsFile)?.toString("utf8");
    if (code === undefined) {
      const source = fs.readFileSync(filename, "utf8");
      esbuildLib ??= require(require.resolve("esbuild", { paths: [ROOT] }));
      code = esbuildLib.transformSync(source, { loader: "js", minifyWhitespace: true, sourcefile: filename }).code;
      const stripped = code;
      made.push([jsFile, () => stripped]);
    }
    run(module, filename, code, path.join(CACHE, `${key}.min.bin`));
  };

  if (Module._extensions[".ts"] === undefined) {
    let esbuild;
    const esbuildVersion = () => JSON.parse(fs.readFileSync(require.resolve("esbuild/package.json", { paths: [ROOT] }), "utf8")).version;
    const tsconfigText = fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
    let keyBase;
    Module._extensions[".ts"] = function lureTs(module, filename) {
      const source = fs.readFileSync(filename, "utf8");
      // Reading esbuild's version, not loading esbuild: a synth whose files are all cached never starts it.
      keyBase ??= `${esbuildVersion()}\0${tsconfigText}\0${process.version}\0${process.arch}`;
      const key = sha1(`${filename}\0${keyBase}\0${source}`);
      const jsFile = path.join(CACHE, `${key}.ts.js`);
      let code = readOrUndefined(jsFile)?.toString("utf8");
      if (code === undefined) {
        esbuild ??= require(require.resolve("esbuild", { paths: [ROOT] }));
        code = esbuild.transformSync(source, { loader: "ts", format: "cjs", target: `node${process.versions.node}`, sourcefile: filename, tsconfigRaw: tsconfigText }).code;
        made.push([jsFile, () => code]);
      }
      run(module, filename, code, path.join(CACHE, `${key}.ts.bin`));
    };
  }

  process.once("exit", () => {
    for (const [file, content] of made) {
      try {
        if (!cacheReady) fs.mkdirSync(CACHE, { recursive: true });
        cacheReady = true;
        // Write then rename: parallel synths never read a half-written entry.
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, content());
        fs.renameSync(tmp, file);
      } catch {
        // no cache: the next synth compiles again
      }
    }
  });
}

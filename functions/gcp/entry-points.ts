/**
 * The functions' entry points (the construct's `build_config.entry_point`), in a module without
 * side effects so the construct can import it: importing index.ts would validate the environment
 * and create SDK clients at synth.
 */
export const ENTRY_POINTS = { listIps: "listIps", lookup: "lookup" } as const;

/**
 * Environment of the Google Cloud watcher functions (list-ips and lookup, one package), read once
 * at cold start. `GcpWatcher` (modules/gcp/watcher.ts) sets exactly these variables; a wrong one
 * is a deployment bug, so the function refuses to start and the error names every bad variable
 * with what it expects (all of them at once).
 *
 * Cloud Run sets its own variables besides these (not read here): `K_SERVICE`, `K_REVISION`,
 * `PORT`, `FUNCTION_TARGET`. The project is passed as `LURE_PROJECT` rather than guessed from the
 * metadata server, so a test or a misconfigured deploy cannot look at the wrong project.
 */
import type { ExtraTarget } from "../core/extra-targets";
import { EnvReader, type CensysEnv, type Vars } from "../aws/env-reader";
import { GCP_PROJECT_ID } from "../core/gcp-project";

/** Honeypot name → instance name, as the honeynet deployed them. */
export type InstanceMap = Readonly<Record<string, string>>;

/** Names of the variables, shared with the construct so the two cannot drift. */
export const GCP_WATCHER_ENV = {
  prefix: "LURE_PREFIX",
  project: "LURE_PROJECT",
  zone: "LURE_ZONE",
  vms: "LURE_VMS",
  bucket: "LURE_BUCKET",
  secret: "LURE_SECRET_NAME",
  queue: "LURE_QUEUE",
  lookupUrl: "LURE_LOOKUP_URL",
  tasksServiceAccount: "LURE_TASKS_SERVICE_ACCOUNT",
  maxAttempts: "LURE_MAX_ATTEMPTS",
  rotate: "LURE_ROTATE",
  minRotationHours: "LURE_MIN_ROTATION_HOURS",
  honeyscore: "LURE_HONEYSCORE",
} as const;

export interface GcpWatcherEnv {
  /** `LURE_PREFIX`: shown in alert subjects. */
  readonly prefix: string;
  /** `LURE_PROJECT`: project id of the honeynet (and of the watcher). */
  readonly project: string;
  /** `LURE_ZONE`: the honeypots' zone (`europe-west1-b`). */
  readonly zone: string;
  /** `LURE_VMS`: messages naming another instance are skipped, so a forged message cannot rotate anything else. */
  readonly vms: InstanceMap;
  /** `LURE_BUCKET`: the private results bucket (name only). */
  readonly bucket: string;
  /** `LURE_SECRET_NAME`: `projects/<p>/secrets/<name>`; its latest enabled version is the Shodan API key. */
  readonly secret: string;
  /** `LURE_QUEUE`: the Cloud Tasks queue, `projects/<p>/locations/<l>/queues/<q>`. */
  readonly queue: string;
  /** `LURE_LOOKUP_URL`: the lookup function's https URL, the tasks' target and OIDC audience. */
  readonly lookupUrl: string;
  /** `LURE_TASKS_SERVICE_ACCOUNT`: the identity Cloud Tasks signs its OIDC token as (invoker of lookup). */
  readonly tasksServiceAccount: string;
  /** `LURE_MAX_ATTEMPTS`: the queue's `retry_config.max_attempts`; the attempt reaching it is the last, recorded and alerted on failure. */
  readonly maxAttempts: number;
  /** `LURE_ROTATE`. */
  readonly rotate: boolean;
  /** `LURE_MIN_ROTATION_HOURS`. */
  readonly minRotationHours: number;
  /** `LURE_HONEYSCORE`: also ask the index for its honeypot score. */
  readonly honeyscore: boolean;
  /** `LURE_EXTRA_TARGETS` (optional): addresses lure did not deploy, queued and looked up every cycle. */
  readonly extraTargets: readonly ExtraTarget[];
  /** `LURE_CENSYS_*` (optional): Censys as a further index; the secret is `projects/<p>/secrets/<id>`. */
  readonly censys?: CensysEnv;
}

const ZONE = /^[a-z]+-[a-z]+[0-9]+-[a-z]$/;
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const SECRET = /^projects\/[^/\s]+\/secrets\/[A-Za-z0-9_-]{1,255}$/;
const QUEUE = /^projects\/[^/\s]+\/locations\/[a-z0-9-]+\/queues\/[A-Za-z0-9-]{1,100}$/;
const HTTPS_URL = /^https:\/\/[^\s/]+(\/\S*)?$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

class Reader extends EnvReader {
  vms(name: string): InstanceMap {
    return this.honeypotMap(name, "instance name", '{"cowrie":"lure-hp-cowrie"}');
  }
}

/** The watcher's environment, or an Error (thrown) naming every problem. `fn` names the function in the error. */
export function gcpWatcherEnv(vars: Vars, fn: string): GcpWatcherEnv {
  const r = new Reader(vars);
  const e = GCP_WATCHER_ENV;
  const value: GcpWatcherEnv = {
    prefix: r.text(e.prefix, "the deployment prefix"),
    project: r.matching(e.project, "the project id", GCP_PROJECT_ID),
    zone: r.matching(e.zone, "the honeypots' zone, e.g. europe-west1-b", ZONE),
    vms: r.vms(e.vms),
    bucket: r.matching(e.bucket, "the results bucket's name", BUCKET),
    secret: r.matching(e.secret, "the secret's resource name, projects/<project>/secrets/<name>", SECRET),
    queue: r.matching(e.queue, "the queue's resource name, projects/<project>/locations/<location>/queues/<queue>", QUEUE),
    // https://<region>-<project>.cloudfunctions.net/<name>; any https URL is taken (EnvReader.httpsUrl wants a path, which a run.app URL has not).
    lookupUrl: r.matching(e.lookupUrl, "the lookup function's https:// URL", HTTPS_URL),
    tasksServiceAccount: r.matching(e.tasksServiceAccount, "the e-mail of the service account Cloud Tasks calls lookup as", EMAIL),
    maxAttempts: r.int(e.maxAttempts, 1),
    rotate: r.bool(e.rotate),
    minRotationHours: r.int(e.minRotationHours, 0),
    honeyscore: r.bool(e.honeyscore),
    extraTargets: r.extraTargets(),
  };
  const censys = r.censys();
  if (censys && !SECRET.test(censys.secret)) r.problems.push(`LURE_CENSYS_SECRET is ${JSON.stringify(censys.secret)} (expected projects/<project>/secrets/<id>)`);
  return r.done(fn, censys ? { ...value, censys } : value);
}

/** The secret's short name (`shodan-api-key`), for alerts and logs. */
export function secretName(env: Pick<GcpWatcherEnv, "secret">): string {
  return env.secret.split("/").pop() ?? env.secret;
}

/**
 * Environment of the two watcher functions, read once at cold start. The cdktf construct sets these
 * variables; a wrong one is a deployment bug, so the function refuses to start and the error lists
 * every bad variable with what it expects (the init error is what the operator sees first).
 *
 * @example
 * const env = lookupEnv(process.env); // throws before any record is touched
 */
import type { ExtraTarget } from "../core/extra-targets";
import { EnvReader, type CensysEnv, type Vars } from "./env-reader";

/** Honeypot name → ECS service name, as the construct deployed them. */
export type ServiceMap = Readonly<Record<string, string>>;

export interface ListIpsEnv {
  /** `LURE_CLUSTER`: ECS cluster name or ARN. */
  readonly cluster: string;
  /** `LURE_SERVICES`. */
  readonly services: ServiceMap;
  /** `LURE_QUEUE_URL`: the lookup queue. */
  readonly queueUrl: string;
  /** `LURE_PREFIX`: shown in alert subjects. */
  readonly prefix: string;
  /** `LURE_TOPIC_ARN`: where list-ips reports services it cannot list and lookups in the dead-letter queue. */
  readonly topicArn: string;
  /** `LURE_DLQ_URL`: the lookup queue's dead-letter queue, counted at the start of each run. */
  readonly dlqUrl: string;
  /** `LURE_DLQ_ARN`: the same queue, named in the redrive command of the alert. */
  readonly dlqArn: string;
  /** `LURE_EXTRA_TARGETS`: addresses lure did not deploy, queued every cycle after the honeynet's. */
  readonly extraTargets: readonly ExtraTarget[];
}

export interface LookupEnv {
  /** `LURE_PREFIX`: shown in alert subjects. */
  readonly prefix: string;
  /** `LURE_BUCKET`: results, latest state, rotation and key-problem markers. */
  readonly bucket: string;
  /** `LURE_TOPIC_ARN`: where alerts go. */
  readonly topicArn: string;
  /** `LURE_SECRET_ARN`: the secret whose SecretString is the index API key. */
  readonly secretArn: string;
  /** `LURE_SECRET_NAME`: how alerts name that secret to people. */
  readonly secretName: string;
  /** `LURE_CLUSTER`: where rotations run. */
  readonly cluster: string;
  /** `LURE_SERVICES`: messages naming another service are skipped, so a forged message cannot rotate anything else. */
  readonly services: ServiceMap;
  /** `LURE_ROTATE`. */
  readonly rotate: boolean;
  /** `LURE_MIN_ROTATION_HOURS`. */
  readonly minRotationHours: number;
  /** `LURE_MIN_INTERVAL_MS`: spacing of index requests within one instance. */
  readonly minIntervalMs: number;
  /** `LURE_HONEYSCORE`: also ask the index for its honeypot score. */
  readonly honeyscore: boolean;
  /** `LURE_TIME_RESERVE_MS`: records are deferred once less time than this is left. @default 25000 */
  readonly timeReserveMs: number;
  /** `LURE_EXTRA_TARGETS`: the only external addresses a message may name. */
  readonly extraTargets: readonly ExtraTarget[];
  /** Censys as a further index, when enabled (`LURE_CENSYS_*`; the secret is an ARN). */
  readonly censys?: CensysEnv;
}

export const DEFAULT_TIME_RESERVE_MS = 25_000;

/** The generic reader plus the watcher's honeypot → service map. */
class Reader extends EnvReader {
  services(name: string): ServiceMap {
    return this.honeypotMap(name, "ECS service name", '{"cowrie":"lure-cowrie"}');
  }
}

export function listIpsEnv(vars: Vars): ListIpsEnv {
  const r = new Reader(vars);
  const value: ListIpsEnv = {
    cluster: r.text("LURE_CLUSTER", "the ECS cluster name or ARN"),
    services: r.services("LURE_SERVICES"),
    queueUrl: r.httpsUrl("LURE_QUEUE_URL", "the lookup queue URL"),
    prefix: r.text("LURE_PREFIX", "the deployment prefix"),
    topicArn: r.text("LURE_TOPIC_ARN", "the alert topic ARN"),
    dlqUrl: r.httpsUrl("LURE_DLQ_URL", "the dead-letter queue URL of the lookup queue"),
    dlqArn: r.text("LURE_DLQ_ARN", "the dead-letter queue ARN of the lookup queue"),
    extraTargets: r.extraTargets(),
  };
  return r.done("list-ips", value);
}

export function lookupEnv(vars: Vars): LookupEnv {
  const r = new Reader(vars);
  const value: LookupEnv = {
    prefix: r.text("LURE_PREFIX", "the deployment prefix"),
    bucket: r.text("LURE_BUCKET", "the results bucket name"),
    topicArn: r.text("LURE_TOPIC_ARN", "the alert topic ARN"),
    secretArn: r.text("LURE_SECRET_ARN", "the ARN of the API key secret"),
    secretName: r.text("LURE_SECRET_NAME", "the name of the API key secret"),
    cluster: r.text("LURE_CLUSTER", "the ECS cluster name or ARN"),
    services: r.services("LURE_SERVICES"),
    rotate: r.bool("LURE_ROTATE"),
    minRotationHours: r.int("LURE_MIN_ROTATION_HOURS", 0),
    minIntervalMs: r.int("LURE_MIN_INTERVAL_MS", 0),
    honeyscore: r.bool("LURE_HONEYSCORE"),
    timeReserveMs: r.int("LURE_TIME_RESERVE_MS", 0, DEFAULT_TIME_RESERVE_MS),
    extraTargets: r.extraTargets(),
  };
  const censys = r.censys();
  return r.done("lookup", censys ? { ...value, censys } : value);
}

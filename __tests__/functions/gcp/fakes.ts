/**
 * Strict fakes of the Google clients the GCP watcher functions call (InstancesClient,
 * ZoneOperationsClient, CloudTasksClient, a Storage bucket and its files,
 * SecretManagerServiceClient): each has exactly the methods a test expects, and any other property
 * read throws (`strict`, shared with the Azure fakes), so an unexpected call fails the test.
 * Errors are shaped like the clients': `code` = HTTP status for Storage, gRPC code for the others.
 */
import type { GcpWatcherEnv } from "../../../functions/gcp/env";
import type { GcsBucketLike, GcsFileLike } from "../../../functions/gcp/gcs-store";
import type { Instance } from "../../../functions/gcp/instances";
import type { HttpTask, ListIpsDeps } from "../../../functions/gcp/list-ips";
import type { RotationInstancesLike, ZoneOperation, ZoneOperationsLike } from "../../../functions/gcp/rotation";
import type { SecretAccessorLike } from "../../../functions/gcp/secret-manager";
import { strict } from "../azure/fakes";

export { recordingLog, shodanFixture, strict } from "../azure/fakes";

export const PROJECT = "lure-test-project";
export const ZONE = "europe-west1-b";
export const BUCKET = "lure-test-results";
export const QUEUE = `projects/${PROJECT}/locations/europe-west1/queues/lure-test-lookup`;
export const SECRET = `projects/${PROJECT}/secrets/lure-test-shodan-api-key`;
export const LOOKUP_URL = "https://lure-test-lookup-abc123-ew.a.run.app";
export const TASKS_SA = `lure-test-tasks@${PROJECT}.iam.gserviceaccount.com`;

export function gcpEnv(over: Partial<GcpWatcherEnv> = {}): GcpWatcherEnv {
  return {
    prefix: "lure-test",
    project: PROJECT,
    zone: ZONE,
    vms: { cowrie: "lure-test-cowrie", dionaea: "lure-test-dionaea" },
    bucket: BUCKET,
    secret: SECRET,
    queue: QUEUE,
    lookupUrl: LOOKUP_URL,
    tasksServiceAccount: TASKS_SA,
    maxAttempts: 5,
    rotate: false,
    minRotationHours: 24,
    honeyscore: false,
    extraTargets: [],
    ...over,
  };
}

/** An error as the Google clients throw it. */
export function googleError(code: number, message = `code ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** Object prefixes the lookup may write (the construct scopes the bucket IAM to these). */
export const OBJECT_PREFIXES = ["results/", "latest/", "rotations/", "state/"] as const;

/**
 * A bucket held in a Map with GCS's generation semantics: `ifGenerationMatch: 0` on an existing
 * object → 412, another generation → 412, a conditional write on a missing object with a non-zero
 * generation → 412 (GCS answers 412 there too); reading a generation that is gone → 404.
 * `ops` records each call; `failNext(op, keyPrefix, err)` makes the next matching call throw once.
 */
export function fakeBucket(ops: string[] = []) {
  const objects = new Map<string, { body: string; generation: number }>();
  let generations = 1000;
  const failures: { op: string; key: string; err: Error }[] = [];
  const check = (op: string, key: string): void => {
    if (!OBJECT_PREFIXES.some((p) => key.startsWith(p))) throw new Error(`object ${key} is outside ${OBJECT_PREFIXES.join(", ")}`);
    const i = failures.findIndex((f) => f.op === op && key.startsWith(f.key));
    if (i >= 0) {
      const [f] = failures.splice(i, 1);
      ops.push(`${op} ${key}: ${(f.err as { code?: number }).code ?? "error"}`);
      throw f.err;
    }
  };
  const refuse = (op: string, key: string, code: number): never => {
    ops.push(`${op} ${key}: ${code}`);
    throw googleError(code);
  };
  /** Runs between a read's metadata and its download (to test a replacement in between). */
  let betweenReads: ((key: string) => void) | undefined;
  const file = (key: string, options?: { generation?: number | string }): GcsFileLike => {
    const meta: { generation?: string } = {};
    return strict<GcsFileLike>(`file(${key})`, {
      get metadata() {
        return meta;
      },
      async getMetadata() {
        check("meta", key);
        const o = objects.get(key);
        if (!o) refuse("meta", key, 404);
        const g = String(o!.generation);
        betweenReads?.(key);
        return [{ generation: g }];
      },
      async download() {
        check("get", key);
        const o = objects.get(key);
        if (!o || (options?.generation !== undefined && String(o.generation) !== String(options.generation))) refuse("get", key, 404);
        ops.push(`get ${key}`);
        return [Buffer.from(o!.body)];
      },
      async save(data, opts) {
        check("put", key);
        if (opts.contentType !== "application/json") throw new Error("object written without the JSON content type");
        if (opts.resumable !== false) throw new Error("object written with a resumable upload");
        const current = objects.get(key);
        const want = opts.preconditionOpts?.ifGenerationMatch;
        if (want !== undefined) {
          if (Number(want) === 0 ? current !== undefined : current?.generation !== Number(want)) refuse("put", key, 412);
        }
        ops.push(`put ${key}`);
        const generation = ++generations;
        objects.set(key, { body: data, generation });
        meta.generation = String(generation);
      },
      async delete(opts) {
        check("delete", key);
        const current = objects.get(key);
        if (!current) refuse("delete", key, 404);
        if (opts?.ifGenerationMatch !== undefined && Number(opts.ifGenerationMatch) !== current!.generation) refuse("delete", key, 412);
        ops.push(`delete ${key}`);
        objects.delete(key);
        return [{}];
      },
    });
  };
  const bucket = strict<GcsBucketLike>("bucket", { name: BUCKET, file });
  return {
    bucket,
    objects,
    ops,
    json: (key: string): unknown => {
      const o = objects.get(key);
      return o === undefined ? undefined : JSON.parse(o.body);
    },
    failNext: (op: "meta" | "get" | "put" | "delete", key: string, err: Error) => void failures.push({ op, key, err }),
    setBetweenReads: (fn: ((key: string) => void) | undefined) => void (betweenReads = fn),
  };
}

/** A honeypot instance as InstancesClient returns it (REST: enums as strings). */
export function instance(name: string, honeypot: string, natIP: string | undefined, over: Partial<Instance> = {}): Instance {
  return {
    name,
    status: "RUNNING",
    lastStartTimestamp: "2026-02-28T09:30:00.000-08:00",
    labels: { "lure-component": "honeypot", "lure-honeypot": honeypot, "lure-prefix": "lure-test" },
    networkInterfaces: [
      {
        name: "nic0",
        accessConfigs: natIP === undefined ? [] : [{ name: "External NAT", type: "ONE_TO_ONE_NAT", natIP, networkTier: "PREMIUM" }],
      },
    ],
    ...over,
  };
}

/**
 * The zone's instances and their operations. `listAsync` yields `vms` (applying the label filter)
 * and throws `listFailure` after `listFailAfter` instances; access-config calls change the instance
 * and answer a PENDING operation that `wait` completes on its second call (`fail` makes one fail).
 */
export function fakeCompute(vms: Instance[] = [], ops: string[] = []) {
  const byName = new Map(vms.map((v) => [v.name!, structuredClone(v)]));
  const addresses: string[] = [];
  const state = { listFailAfter: undefined as number | undefined, listFailure: undefined as Error | undefined, failOperation: undefined as "delete" | "add" | undefined, initFailure: undefined as Error | undefined };
  const operations = new Map<string, { waits: number; fail: boolean }>();
  let opCount = 0;
  const started = (kind: "delete" | "add"): [{ latestResponse: ZoneOperation }] => {
    const name = `operation-${++opCount}-${kind}`;
    operations.set(name, { waits: 0, fail: state.failOperation === kind });
    return [{ latestResponse: { name, status: "PENDING" } }];
  };
  const get = (name: string): Instance => {
    const v = byName.get(name);
    if (!v) throw googleError(404, `The resource 'projects/${PROJECT}/zones/${ZONE}/instances/${name}' was not found`);
    return v;
  };
  const where = (r: { project: string; zone: string }): void => {
    if (r.project !== PROJECT || r.zone !== ZONE) throw new Error(`fake compute: called for ${r.project}/${r.zone}`);
  };
  const instances = strict<RotationInstancesLike & ListIpsDeps["instances"]>("instances", {
    async initialize() {
      if (state.initFailure) throw state.initFailure;
      return {};
    },
    async *listAsync(request) {
      where(request);
      if (request.filter !== 'labels.lure-component = "honeypot"') throw new Error(`fake compute: unexpected filter ${request.filter}`);
      ops.push("list");
      let n = 0;
      for (const v of byName.values()) {
        if (state.listFailAfter !== undefined && n === state.listFailAfter) throw state.listFailure ?? googleError(503, "Service Unavailable");
        n++;
        if (v.labels?.["lure-component"] === "honeypot") yield structuredClone(v);
      }
    },
    async get(request) {
      where(request);
      ops.push(`get ${request.instance}`);
      return [structuredClone(get(request.instance))];
    },
    async deleteAccessConfig(request) {
      where(request);
      const nic = get(request.instance).networkInterfaces!.find((n) => n.name === request.networkInterface);
      const configs = nic?.accessConfigs ?? [];
      if (!configs.some((c) => c.name === request.accessConfig)) throw googleError(400, `no access config ${request.accessConfig}`);
      ops.push(`deleteAccessConfig ${request.instance} ${request.networkInterface} ${request.accessConfig}`);
      nic!.accessConfigs = configs.filter((c) => c.name !== request.accessConfig);
      return started("delete");
    },
    async addAccessConfig(request) {
      where(request);
      const nic = get(request.instance).networkInterfaces!.find((n) => n.name === request.networkInterface);
      if (!nic) throw googleError(400, `no interface ${request.networkInterface}`);
      if ((nic.accessConfigs ?? []).length > 0) throw googleError(400, "an access config exists already");
      if ("natIP" in request.accessConfigResource) throw new Error("rotation must not name a natIP");
      ops.push(`addAccessConfig ${request.instance} ${JSON.stringify(request.accessConfigResource)}`);
      const natIP = addresses.shift();
      if (state.failOperation !== "add") nic.accessConfigs = [{ ...request.accessConfigResource, ...(natIP ? { natIP } : {}) }];
      return started("add");
    },
  });
  const operationsClient = strict<ZoneOperationsLike>("zoneOperations", {
    initialize: async () => ({}),
    async wait(request) {
      where(request);
      const op = operations.get(request.operation);
      if (!op) throw googleError(404, `no operation ${request.operation}`);
      op.waits++;
      ops.push(`wait ${request.operation}`);
      if (op.waits < 2) return [{ name: request.operation, status: "RUNNING" }];
      return [{ name: request.operation, status: "DONE", ...(op.fail ? { error: { errors: [{ code: "RESOURCE_NOT_READY", message: "The resource is not ready" }] } } : {}) }];
    },
  });
  return { instances, operations: operationsClient, byName, addresses, state, ops };
}

/** Cloud Tasks: records the created tasks; `failures` makes the next calls throw. */
export function fakeTasks(ops: string[] = []) {
  const created: { parent: string; task: HttpTask }[] = [];
  const failures: Error[] = [];
  const tasks = strict<ListIpsDeps["tasks"]>("cloudTasks", {
    initialize: async () => ({}),
    async createTask(request) {
      const failure = failures.shift();
      if (failure) throw failure;
      created.push(structuredClone(request) as { parent: string; task: HttpTask });
      ops.push(`createTask ${created.length}`);
      return [{ name: `${request.parent}/tasks/${created.length}` }];
    },
  });
  /** The message of created task `i`, decoded. */
  const message = (i: number): unknown => JSON.parse(Buffer.from(created[i].task.httpRequest.body, "base64").toString("utf8"));
  return { tasks, created, failures, message };
}

/** Secret Manager holding the key's versions; `state.error` makes access throw. */
/** The Censys token's secret, when a test enables Censys. */
export const CENSYS_SECRET = "projects/lure-test-1/secrets/lure-test-watcher-censys-api-key";

export function fakeSecrets(ops: string[] = []) {
  const state: { value?: string; version: number; error?: Error; initFailure?: Error } = { value: "SHODANKEYf3a9c1d2e8b7a6c5d4e3f2a1\n", version: 1 };
  const secrets = strict<SecretAccessorLike>("secretManager", {
    initialize: async () => (state.initFailure ? Promise.reject(state.initFailure) : {}),
    async accessSecretVersion(request) {
      if (request.name === `${CENSYS_SECRET}/versions/latest`) {
        ops.push("accessSecretVersion censys");
        return [{ name: `${CENSYS_SECRET}/versions/3`, payload: { data: Buffer.from("censys_pat_0123456789abcdef") } }];
      }
      if (request.name !== `${SECRET}/versions/latest`) throw googleError(5, `Secret [${request.name}] not found`);
      ops.push("accessSecretVersion");
      if (state.error) throw state.error;
      if (state.value === undefined) throw googleError(5, `Secret [${SECRET}] not found or has no versions.`);
      return [{ name: `projects/123456789/secrets/lure-test-shodan-api-key/versions/${state.version}`, payload: { data: Buffer.from(state.value) } }];
    },
  });
  return { secrets, state };
}

/** Captures stdout lines; alert entries are those with `event: "lure-alert"`. */
export function capturedLines() {
  const lines: Record<string, unknown>[] = [];
  const state = { failAlerts: 0 };
  const write = (line: string): void => {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (v.event === "lure-alert" && state.failAlerts > 0) {
      state.failAlerts--;
      throw new Error("EPIPE: stdout closed");
    }
    lines.push(v);
  };
  return {
    write,
    lines,
    state,
    alerts: () => lines.filter((l) => l.event === "lure-alert") as { severity: string; message: string; subject: string; body: string }[],
    events: () => lines.filter((l) => l.event !== "lure-alert").map((l) => l.event as string),
    find: (event: string) => lines.find((l) => l.event === event),
  };
}

/**
 * Stateful, strict fakes of the Google surfaces the Quarantine functions call: a Cloud Armor
 * security policy (SecurityPoliciesClient + GlobalOperationsClient), a Cloud Run service
 * (ServicesClient) and Firestore (collection/doc/get/getAll/runTransaction with optimistic
 * concurrency). Any method a test did not expect throws (`strict`). Errors are shaped like the
 * clients': Compute's with the gRPC code google-gax maps the HTTP status to, gRPC codes elsewhere.
 */
import { DEFAULT_DETECTOR } from "../../../../functions/core/detector";
import type { QuarantineRuntimeConfig } from "../../../../functions/core/quarantine-types";
import type { ArmorPolicy, ArmorRule, GlobalOperation, GlobalOperationsApi, SecurityPoliciesApi } from "../../../../functions/gcp/quarantine/armor-steering";
import { cloudArmorSteeringOptions } from "../../../../functions/gcp/quarantine/contract";
import type { RunService, RunServicesApi } from "../../../../functions/gcp/quarantine/copies";
import type { Fields, FirestoreLike, SnapshotLike, TransactionLike } from "../../../../functions/gcp/quarantine/firestore-store";
import { strict } from "../../azure/fakes";

export { recordingLog, strict } from "../../azure/fakes";

export const PROJECT = "lure-test-project";
export const REGION = "europe-west2";
export const POLICY = "lure-test-quarantine";
export const COPIES = "lure-test-copies";
export const FORWARDING_RULE = `projects/${PROJECT}/global/forwardingRules/lure-test-https`;

export const CONFIG: QuarantineRuntimeConfig = {
  prefix: "lure-test",
  detector: { ...DEFAULT_DETECTOR, allowCidrs: [] },
  mode: { quietPeriodMinutes: 30, forgetOnNormal: true, rememberMinutes: 0, defenceAfterSources: 1, defenceWindowMinutes: 10 },
  steering: cloudArmorSteeringOptions(40),
  copies: { defenceCount: 2, normalCount: 0 },
};

export const VARS: Record<string, string> = {
  LURE_QUARANTINE: JSON.stringify(CONFIG),
  LURE_PROJECT: PROJECT,
  LURE_REGION: REGION,
  LURE_SECURITY_POLICY: POLICY,
  LURE_COPIES_SERVICE: COPIES,
  LURE_DATABASE: "lure-test-state",
  LURE_FORWARDING_RULE: FORWARDING_RULE,
};

/** An error as the Google clients throw it (`code`: gRPC, as google-gax maps HTTP statuses). */
export function googleError(code: number, message = `code ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

const clone = <T>(v: T): T => structuredClone(v);

/** A rule of someone else (a user's deny rule, the default rule...). */
export const userRule = (priority: number, over: Partial<ArmorRule> = {}): ArmorRule => ({
  priority,
  action: "deny(403)",
  preview: false,
  match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["198.51.100.0/24"] } },
  ...over,
});
export const DEFAULT_RULE: ArmorRule = { priority: 2147483647, action: "allow", preview: false, match: { versionedExpr: "SRC_IPS_V1", config: { srcIpRanges: ["*"] } }, description: "default rule" };

/**
 * One security policy held in memory with Compute's semantics as far as lure relies on them: rules
 * keyed by priority, `addRule` on a taken priority → 400 "already exists" (INVALID_ARGUMENT),
 * `patchRule`/`removeRule` of a missing priority → 400 "does not exist", every change moves the
 * fingerprint, each write returns a RUNNING operation that `wait` finishes. `maxRules` is the policy's
 * limit (beyond it: 400 "exceeds the maximum"). `failNext(method, err)` makes the next call fail once;
 * `beforeWrite` runs before a write lands (a concurrent change by someone else).
 */
export function fakeArmor(initial: ArmorRule[] = [DEFAULT_RULE], maxRules = 200) {
  const rules = new Map<number, ArmorRule>(initial.map((r) => [r.priority!, clone(r)]));
  let fp = 1;
  const calls: string[] = [];
  const failures = new Map<string, Error[]>();
  const ops = new Map<string, GlobalOperation>();
  let opSeq = 0;
  const hooks: { beforeWrite?: (method: string) => void } = {};
  /** The next write's operation ends with this error, and the write does not land. */
  let opError: { errors: { code: string; message: string }[]; httpErrorStatusCode?: number } | undefined;

  const fail = (method: string): void => {
    const queue = failures.get(method);
    const err = queue?.shift();
    if (err) throw err;
  };
  const started = (): readonly [{ latestResponse: GlobalOperation }] => {
    const name = `operation-${++opSeq}`;
    ops.set(name, opError ? { name, status: "DONE", error: { errors: opError.errors }, httpErrorStatusCode: opError.httpErrorStatusCode ?? 400 } : { name, status: "DONE" });
    return [{ latestResponse: { name, status: "RUNNING" } }];
  };
  /** Applies `land` unless the operation is to fail. */
  const write = (land: () => void): readonly [{ latestResponse: GlobalOperation }] => {
    const failing = opError !== undefined;
    const r = started();
    opError = undefined;
    if (!failing) {
      land();
      fp++;
    }
    return r;
  };
  const check = (req: { project: string; securityPolicy: string }): void => {
    if (req.project !== PROJECT || req.securityPolicy !== POLICY) throw googleError(5, `The resource 'projects/${req.project}/global/securityPolicies/${req.securityPolicy}' was not found`);
  };

  const policies = strict<SecurityPoliciesApi>("SecurityPoliciesClient", {
    initialize: async () => ({}),
    async get(req) {
      calls.push("get");
      fail("get");
      check(req);
      const p: ArmorPolicy = { name: POLICY, fingerprint: `fp-${fp}`, rules: [...rules.values()].sort((a, b) => a.priority! - b.priority!).map(clone) };
      return [p];
    },
    async addRule(req) {
      calls.push(`addRule ${req.securityPolicyRuleResource.priority}`);
      fail("addRule");
      check(req);
      hooks.beforeWrite?.("addRule");
      const r = req.securityPolicyRuleResource;
      if (rules.has(r.priority)) throw googleError(3, `Invalid value for field 'resource.priority': '${r.priority}'. A rule with this priority already exists in this policy.`);
      if (rules.size >= maxRules) throw googleError(3, `Invalid value for field 'resource': the number of rules exceeds the maximum of ${maxRules}.`);
      if (r.match.config.srcIpRanges.length > 10) throw googleError(3, "Invalid value: too many srcIpRanges (max 10)");
      return write(() => rules.set(r.priority, clone(r)));
    },
    async patchRule(req) {
      calls.push(`patchRule ${req.priority}`);
      fail("patchRule");
      check(req);
      hooks.beforeWrite?.("patchRule");
      if (!rules.has(req.priority)) throw googleError(3, `Invalid value for field 'priority': '${req.priority}'. The rule at this priority does not exist.`);
      if (req.securityPolicyRuleResource.match.config.srcIpRanges.length > 10) throw googleError(3, "Invalid value: too many srcIpRanges (max 10)");
      return write(() => rules.set(req.priority, { ...clone(req.securityPolicyRuleResource), priority: req.priority }));
    },
    async removeRule(req) {
      calls.push(`removeRule ${req.priority}`);
      fail("removeRule");
      check(req);
      hooks.beforeWrite?.("removeRule");
      if (!rules.has(req.priority)) throw googleError(3, `Invalid value for field 'priority': '${req.priority}'. The rule at this priority does not exist.`);
      return write(() => rules.delete(req.priority));
    },
  });

  const operations = strict<GlobalOperationsApi>("GlobalOperationsClient", {
    initialize: async () => ({}),
    async wait(req) {
      calls.push(`wait ${req.operation}`);
      fail("wait");
      if (req.project !== PROJECT) throw googleError(5, "no such project");
      const op = ops.get(req.operation);
      if (!op) throw googleError(5, `operation ${req.operation} not found`);
      return [clone(op)];
    },
  });

  return {
    policies,
    operations,
    rules,
    calls,
    hooks,
    fingerprint: () => `fp-${fp}`,
    /** Someone else's edit (moves the fingerprint). */
    edit(fn: (rules: Map<number, ArmorRule>) => void) {
      fn(rules);
      fp++;
    },
    failOperation(code: string, message: string, httpErrorStatusCode?: number) {
      opError = { errors: [{ code, message }], ...(httpErrorStatusCode !== undefined ? { httpErrorStatusCode } : {}) };
    },
    failNext(method: string, ...errs: Error[]) {
      failures.set(method, [...(failures.get(method) ?? []), ...errs]);
    },
    /** lure's rules as priority → sorted ranges. */
    lure(): Record<number, string[]> {
      const out: Record<number, string[]> = {};
      for (const [p, r] of rules) if (r.headerAction?.requestHeadersToAdds?.[0]?.headerName === "x-lure-quarantine") out[p] = [...(r.match?.config?.srcIpRanges ?? [])].sort();
      return out;
    },
    writes: () => calls.filter((c) => /^(addRule|patchRule|removeRule)/.test(c)),
  };
}

/** A Cloud Run service in memory: `updateService` takes the etag read (a stale one → ABORTED), `promise()` applies it. */
export function fakeRun(initial: Partial<RunService> = {}) {
  let etag = 1;
  let service: RunService = {
    name: `projects/${PROJECT}/locations/${REGION}/services/${COPIES}`,
    scaling: { minInstanceCount: 0 },
    terminalCondition: { type: "Ready", state: "CONDITION_SUCCEEDED" },
    reconciling: false,
    latestReadyRevision: `${COPIES}-00001-abc`,
    template: { containers: [{ image: "copies:1" }] },
    ...initial,
  } as RunService;
  const calls: string[] = [];
  const updates: { service: RunService; updateMask: { paths: string[] } }[] = [];
  const failures: Error[] = [];
  const hooks: { beforeUpdate?: () => void } = {};
  const api = strict<RunServicesApi>("ServicesClient", {
    initialize: async () => ({}),
    async getService(req) {
      calls.push("getService");
      const f = failures.shift();
      if (f) throw f;
      if (req.name !== service.name) throw googleError(5, `Resource '${req.name}' was not found`);
      return [{ ...clone(service), etag: `"e${etag}"` }];
    },
    async updateService(req) {
      calls.push("updateService");
      const f = failures.shift();
      if (f) throw f;
      updates.push(clone(req) as never);
      hooks.beforeUpdate?.();
      const sent = req.service as RunService;
      if (sent.etag !== undefined && sent.etag !== `"e${etag}"`) throw googleError(10, "etag mismatch: the service was changed");
      return [
        {
          promise: async () => {
            service = { ...service, scaling: { ...service.scaling, minInstanceCount: req.service.scaling.minInstanceCount } };
            etag++;
            return [service];
          },
        },
      ];
    },
  });
  return {
    api,
    calls,
    updates,
    hooks,
    get service() {
      return service;
    },
    set(over: Partial<RunService>) {
      service = { ...service, ...over };
      etag++;
    },
    failNext(...errs: Error[]) {
      failures.push(...errs);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Firestore

interface StoredDoc {
  data: Fields;
  /** Moves on every write (Firestore's update time). */
  updateTime: number;
}

/** A Timestamp as the SDK returns it for a timestamp field. */
export class FakeTimestamp {
  constructor(private readonly ms: number) {}
  toMillis(): number {
    return this.ms;
  }
}

/** What the SDK does to written values: a Date becomes a Timestamp; arrays of arrays are refused. */
function stored(v: unknown, inArray = false): unknown {
  if (v instanceof Date) return new FakeTimestamp(v.getTime());
  if (Array.isArray(v)) {
    if (inArray) throw new Error("Cannot have an array inside an array (Firestore)");
    return v.map((x) => stored(x, true));
  }
  if (v === undefined) throw new Error("Cannot use \"undefined\" as a Firestore value");
  if (typeof v === "object" && v !== null && !(v instanceof FakeTimestamp)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stored(x)]));
  return v;
}

export interface FakeRef {
  readonly id: string;
  readonly path: string;
  get(): Promise<SnapshotLike>;
}

/**
 * Firestore in memory with optimistic transactions: a transaction records the update time of each
 * document it reads; at commit, if any changed since (another writer committed), the transaction is
 * aborted and the function run again, up to `maxAttempts`, then rejected with ABORTED (code 10), as
 * the SDK does when contention persists. Reads must precede writes. Every SDK call yields to the
 * event loop first, so concurrent transactions interleave. `hooks.beforeCommit` runs before a
 * transaction validates (a concurrent writer can be injected there).
 */
export function fakeFirestore() {
  const docs = new Map<string, StoredDoc>();
  let clock = 1;
  const stats = { transactions: 0, attempts: 0, aborts: 0, commits: 0, gets: 0, getAlls: 0, queries: 0 };
  const hooks: { beforeCommit?: (attempt: number) => void | Promise<void> } = {};
  const failures: Error[] = [];
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  const snapshot = (path: string): SnapshotLike => {
    const d = docs.get(path);
    const id = path.split("/").pop()!;
    return { id, exists: d !== undefined, data: () => (d ? { ...d.data } : undefined) };
  };
  const failing = (): void => {
    const f = failures.shift();
    if (f) throw f;
  };
  const ref = (collection: string, id: string): FakeRef => {
    if (id.includes("/")) throw new Error("a document id may not hold /");
    const path = `${collection}/${id}`;
    return strict<FakeRef>("DocumentReference", {
      id,
      path,
      async get() {
        await tick();
        stats.gets++;
        failing();
        return snapshot(path);
      },
    });
  };

  const db = strict<FirestoreLike<FakeRef>>("Firestore", {
    collection(name: string) {
      return strict("CollectionReference", {
        doc: (id: string) => ref(name, id),
        async get() {
          await tick();
          stats.queries++;
          failing();
          return { docs: [...docs.keys()].filter((p) => p.startsWith(`${name}/`) && p.split("/").length === 2).sort().map(snapshot) };
        },
      });
    },
    async getAll(...refs: FakeRef[]) {
      await tick();
      stats.getAlls++;
      failing();
      return refs.map((r) => snapshot(r.path));
    },
    async runTransaction<T>(fn: (tx: TransactionLike<FakeRef>) => Promise<T>, options?: { maxAttempts?: number }): Promise<T> {
      stats.transactions++;
      const max = options?.maxAttempts ?? 5;
      for (let attempt = 1; ; attempt++) {
        stats.attempts++;
        const reads = new Map<string, number>();
        const writes: { path: string; data?: Fields }[] = [];
        const tx: TransactionLike<FakeRef> = strict<TransactionLike<FakeRef>>("Transaction", {
          async get(r) {
            if (writes.length > 0) throw new Error("Firestore transactions require all reads to be executed before all writes.");
            await tick();
            failing();
            reads.set(r.path, docs.get(r.path)?.updateTime ?? 0);
            return snapshot(r.path);
          },
          set(r, data) {
            writes.push({ path: r.path, data: stored(data) as Fields });
            return tx;
          },
          delete(r) {
            writes.push({ path: r.path });
            return tx;
          },
        });
        const result = await fn(tx);
        await hooks.beforeCommit?.(attempt);
        await tick();
        const stale = [...reads].some(([path, t]) => (docs.get(path)?.updateTime ?? 0) !== t);
        if (stale) {
          stats.aborts++;
          if (attempt >= max) throw googleError(10, "10 ABORTED: Transaction lock timeout / too much contention on these documents");
          continue;
        }
        for (const w of writes) {
          if (w.data === undefined) docs.delete(w.path);
          else docs.set(w.path, { data: w.data, updateTime: ++clock });
        }
        stats.commits++;
        return result;
      }
    },
  });

  return {
    db,
    docs,
    stats,
    hooks,
    failNext(...errs: Error[]) {
      failures.push(...errs);
    },
    /** A write outside any transaction (another writer). */
    put(path: string, data: Fields) {
      docs.set(path, { data: stored(data) as Fields, updateTime: ++clock });
    },
    data: (path: string): Fields | undefined => docs.get(path)?.data,
  };
}

/** A load-balancer request-log entry as Cloud Logging writes it. */
export function lbEntry(src: string, path: string, status: number, at: number, over: { userAgent?: string; forwardingRule?: string } = {}): Record<string, unknown> {
  return {
    insertId: `i-${src}-${path}-${at}`,
    logName: `projects/${PROJECT}/logs/requests`,
    resource: { type: "http_load_balancer", labels: { project_id: PROJECT, forwarding_rule_name: over.forwardingRule ?? "lure-test-https", url_map_name: "lure-test-map", backend_service_name: "lure-test-router" } },
    timestamp: new Date(at * 1000).toISOString(),
    severity: "INFO",
    httpRequest: { requestMethod: "GET", requestUrl: `https://demo.example.com${path}`, status, remoteIp: src, userAgent: over.userAgent ?? "Mozilla/5.0" },
    jsonPayload: { "@type": "type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry", statusDetails: "response_sent_by_backend" },
  };
}

/** The Pub/Sub CloudEvent carrying one entry (or raw data). */
export function pubsubEvent(entry: unknown, id = "m-1", raw?: string): Record<string, unknown> {
  return {
    id: `evt-${id}`,
    type: "google.cloud.pubsub.topic.v1.messagePublished",
    source: `//pubsub.googleapis.com/projects/${PROJECT}/topics/lure-test-lb-log`,
    data: {
      message: { data: raw ?? Buffer.from(JSON.stringify(entry)).toString("base64"), messageId: id, publishTime: "2026-12-04T13:00:00Z", attributes: {} },
      subscription: `projects/${PROJECT}/subscriptions/lure-test-detector`,
    },
  };
}

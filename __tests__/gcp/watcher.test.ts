/**
 * The Google Cloud Watcher in `gcp-honeynet`: what it is made of, who may do what on which
 * resource, and the contract with the function package (the built source loads with the
 * environment the construct sets and registers exactly the two entry points it deploys).
 */
import { createHash } from "crypto";
import { readFileSync, rmSync } from "fs";
import { join } from "path";
import { Testing } from "cdktf";
import { ENTRY_POINTS } from "../../functions/gcp/entry-points";
import { ALERT_EVENT } from "../../functions/gcp/log";
import { GCP_INSTALLED, gcpFunctionPackage, zipFiles } from "../../modules/core/bundle";
import { ConfigError } from "../../modules/core/config";
import { checkStack } from "../../modules/core/policy";
import { GcpHoneynetStack } from "../../modules/gcp/stacks";
import { GcpWatcher, LOOKUP_TIMEOUT_SECONDS } from "../../modules/gcp/watcher";
import { FAKE_FUNCTIONS_FRAMEWORK, loadPackage, unpackPackage, unzip, type Loaded } from "../helpers/function-package";
import { configWith, resources, ROOT, type Json } from "../helpers/synth";

interface Variant {
  readonly out: Json;
  readonly stack: GcpHoneynetStack;
}

function synth(change: (c: Json) => void, hive?: { cloud: "aws"; address: string }): Variant {
  const config = configWith(change);
  const stack = new GcpHoneynetStack(Testing.app(), "gcp-honeynet", config, config.clouds.gcp!, hive);
  return { out: JSON.parse(Testing.synth(stack)) as Json, stack };
}

let plain: Variant; // the default config: watcher on, no e-mail, no rotation, no project in the config
let full: Variant; // a project, e-mail, rotation, a cron schedule
let off: Variant; // watcher.enabled false

beforeAll(() => {
  plain = synth(() => {});
  full = synth((c) => {
    c.clouds.gcp.project = "lure-test-1";
    c.watcher = { schedule: "cron(30 6 ? * MON-FRI *)", alertEmail: "soc@example.org", rotateOnExposure: true, minRotationIntervalHours: 12, resultsRetentionDays: 90 };
  });
  off = synth((c) => (c.watcher = { enabled: false }));
});

/** The watcher's resource of `type` whose construct id is `id` (`Watcher_<id>_<hash>`): [address, body]. */
function watcherResource(out: Json, type: string, id: string): [string, Json] {
  const found = resources(out, type).filter(([a]) => new RegExp(`\\.Watcher_${id.replace(/-/g, "\\-")}_[0-9A-F]{8}$`).test(a));
  expect({ type, id, found: found.length }).toEqual({ type, id, found: 1 });
  return found[0];
}
const body = (out: Json, type: string, id: string): Json => watcherResource(out, type, id)[1];
const address = (out: Json, type: string, id: string): string => watcherResource(out, type, id)[0];
const ref = (addr: string, attr: string) => `\${${addr}.${attr}}`;
const watcherAddresses = (out: Json) =>
  Object.entries(out.resource as Record<string, Record<string, Json>>).flatMap(([t, byName]) => Object.keys(byName).filter((n) => n.startsWith("Watcher_")).map((n) => `${t}.${n}`));
const envOf = (out: Json, id: "ListIps" | "Lookup"): Record<string, string> => body(out, "google_cloudfunctions2_function", id).service_config.environment_variables;
const email = (out: Json, id: string) => ref(address(out, "google_service_account", id), "email");

describe("schedule", () => {
  test("the AWS forms become Cloud Scheduler's unix-cron, in UTC", () => {
    expect(body(plain.out, "google_cloud_scheduler_job", "Schedule")).toMatchObject({ schedule: "0 */12 * * *", time_zone: "Etc/UTC" });
    // AWS's 1-7 days of the week from Sunday are cron's 0-6: MON-FRI is 1-5 either way.
    expect(body(full.out, "google_cloud_scheduler_job", "Schedule").schedule).toBe("30 6 * * 1-5");
    expect(full.stack.watcher!.cron).toBe("30 6 * * 1-5");
  });

  test("a schedule Cloud Scheduler cannot keep is refused with its path, with every other problem, before anything is made", () => {
    const stack = new GcpHoneynetStack(Testing.app(), "gcp-honeynet", configWith(), configWith().clouds.gcp!);
    const before = stack.node.findAll().length;
    let error: unknown;
    try {
      new GcpWatcher(stack, "Watcher2", { honeynet: stack.honeynet, prefix: "a-very-long-prefix-x", schedule: "rate(7 minutes)", minRotationIntervalHours: -1 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.path).sort()).toEqual(["minRotationIntervalHours", "prefix", "schedule"]);
    expect(problems.find((p) => p.path === "schedule")!.message).toMatch(/^"rate\(7 minutes\)" has no exact Cloud Scheduler schedule/);
    expect(stack.node.findAll().length).toBe(before + 1); // the Watcher2 scope itself, nothing in it
  });

  test("a honeynet in a domain-scoped project is refused at the honeynet, before anything is made", () => {
    const stack = new GcpHoneynetStack(Testing.app(), "gcp-honeynet", configWith(), configWith().clouds.gcp!);
    // The same honeynet, seen in another project.
    const honeynet: typeof stack.honeynet = Object.create(stack.honeynet, { publicIpSource: { value: { ...stack.honeynet.publicIpSource, project: "example.com:lure-test" } } });
    let error: unknown;
    try {
      new GcpWatcher(stack, "Watcher2", { honeynet });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([{ path: "honeynet", message: expect.stringContaining('domain-scoped project "example.com:lure-test"') }]);
  });

  test("the job calls list-ips by its URL as the scheduler account, with an OIDC token for that URL, after both invokers exist", () => {
    const job = body(plain.out, "google_cloud_scheduler_job", "Schedule");
    const url = ref(address(plain.out, "google_cloudfunctions2_function", "ListIps"), "url");
    expect(job.http_target).toEqual({ uri: url, http_method: "POST", oidc_token: { service_account_email: email(plain.out, "SchedulerAccount"), audience: url } });
    expect(job.attempt_deadline).toBe("320s");
    expect(job.retry_config).toEqual({ retry_count: 1, min_backoff_duration: "60s", max_backoff_duration: "60s" });
    expect(job.depends_on).toEqual(expect.arrayContaining([address(plain.out, "google_cloud_run_v2_service_iam_member", "ListIpsInvoker"), address(plain.out, "google_cloud_run_v2_service_iam_member", "LookupInvoker")]));
  });
});

describe("the queue", () => {
  test("1 dispatch a second, 1 at a time, 5 attempts with backoff, every attempt logged", () => {
    const q = body(plain.out, "google_cloud_tasks_queue", "Queue");
    expect(q).toMatchObject({
      name: "lure-watcher",
      location: "europe-west2",
      rate_limits: { max_dispatches_per_second: 1, max_concurrent_dispatches: 1 },
      retry_config: { max_attempts: 5, min_backoff: "10s", max_backoff: "300s", max_doublings: 4, max_retry_duration: "0s" },
      stackdriver_logging_config: { sampling_ratio: 1 },
    });
  });

  test("the functions know the last attempt: LURE_MAX_ATTEMPTS is the queue's max_attempts (the final failure is recorded and alerted)", () => {
    const q = body(plain.out, "google_cloud_tasks_queue", "Queue");
    expect(envOf(plain.out, "Lookup").LURE_MAX_ATTEMPTS).toBe(String(q.retry_config.max_attempts));
    expect(envOf(plain.out, "Lookup").LURE_QUEUE).toBe(ref(address(plain.out, "google_cloud_tasks_queue", "Queue"), "id"));
  });

  test("no Pub/Sub anywhere (a push subscription to a capped function would spend attempts on throttling)", () => {
    expect(Object.keys(plain.out.resource).filter((t) => t.startsWith("google_pubsub"))).toEqual([]);
  });
});

describe("buckets, the source object and the secret", () => {
  test("results and source buckets: uniform access, public access prevention enforced, no force destroy, labelled", () => {
    for (const id of ["ResultsBucket", "SourceBucket"]) {
      expect(body(plain.out, "google_storage_bucket", id)).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: "enforced", force_destroy: false, location: "EUROPE-WEST2", labels: { "lure-component": "watcher" } });
    }
  });

  test("results/ history expires after resultsRetentionDays; latest/ and state/ are kept; the source bucket has no rule", () => {
    expect(body(plain.out, "google_storage_bucket", "ResultsBucket").lifecycle_rule).toEqual([{ condition: { age: 365, matches_prefix: ["results/"] }, action: { type: "Delete" } }]);
    expect(body(full.out, "google_storage_bucket", "ResultsBucket").lifecycle_rule[0].condition.age).toBe(90);
    expect(body(plain.out, "google_storage_bucket", "SourceBucket").lifecycle_rule).toBeUndefined();
  });

  test("bucket names are this deployment's (a hash of project and prefix), and the results location is gs://", () => {
    expect(body(plain.out, "google_storage_bucket", "ResultsBucket").name).toMatch(/^lure-watcher-\$\{substr\(sha1\(join\("\/", \[data\.google_client_config\.Honeynet_Client_[0-9A-F]{8}\.project, "lure"\]\)\), 0, 8\)\}$/);
    expect(body(full.out, "google_storage_bucket", "SourceBucket").name).toBe('lure-watcher-src-${substr(sha1(join("/", ["lure-test-1", "lure"])), 0, 8)}');
    expect(full.stack.watcher!.resultsLocation).toMatch(/^gs:\/\//);
  });

  test("the source object is content-addressed, in the source bucket, and both functions build from it", () => {
    const pkg = gcpFunctionPackage();
    const object = body(plain.out, "google_storage_bucket_object", "Source");
    expect(object.name).toBe(`watcher-${createHash("sha256").update(readFileSync(pkg.zipPath)).digest("hex").slice(0, 16)}.zip`);
    expect(object.bucket).toBe(ref(address(plain.out, "google_storage_bucket", "SourceBucket"), "name"));
    expect(object.source).toMatch(/^assets\//);
    expect(object.lifecycle).toEqual({ ignore_changes: ["source"] });
    for (const id of ["ListIps", "Lookup"] as const) {
      expect(body(plain.out, "google_cloudfunctions2_function", id).build_config.source).toEqual({
        storage_source: { bucket: ref(address(plain.out, "google_storage_bucket", "SourceBucket"), "name"), object: ref(address(plain.out, "google_storage_bucket_object", "Source"), "name") },
      });
    }
  });

  test("the Shodan key's secret exists without any version, and the functions get its name only", () => {
    expect(body(plain.out, "google_secret_manager_secret", "ApiKey")).toMatchObject({ secret_id: "lure-watcher-shodan-api-key", replication: { auto: {} } });
    expect(plain.out.resource.google_secret_manager_secret_version).toBeUndefined();
    expect(full.out.resource.google_secret_manager_secret_version).toBeUndefined();
    expect(envOf(plain.out, "Lookup").LURE_SECRET_NAME).toBe(ref(address(plain.out, "google_secret_manager_secret", "ApiKey"), "id"));
    for (const id of ["ListIps", "Lookup"] as const) expect(body(plain.out, "google_cloudfunctions2_function", id).service_config.secret_environment_variables).toBeUndefined();
  });

  test("the secret's API is enabled once per stack: a hive sensor's Secret Manager API is reused", () => {
    const sensor = synth((c) => (c.honeynet.analytics = { hive: "aws" }), { cloud: "aws", address: "hive.example.net" });
    const secretManager = resources(sensor.out, "google_project_service").filter(([, b]) => b.service === "secretmanager.googleapis.com");
    expect(secretManager.map(([a]) => a)).toEqual([expect.stringMatching(/\.Honeynet_SecretManagerApi_/)]);
    expect(body(sensor.out, "google_secret_manager_secret", "ApiKey").depends_on).toEqual([secretManager[0][0]]);
    expect(checkStack(sensor.out)).toEqual([]);
  });
});

describe("the functions", () => {
  test("Cloud Run functions on Node 22, one instance serving one request, private to their callers, each with its own account", () => {
    const expected = { ListIps: { entry: ENTRY_POINTS.listIps, account: "ListIpsAccount", timeout: 300 }, Lookup: { entry: ENTRY_POINTS.lookup, account: "LookupAccount", timeout: LOOKUP_TIMEOUT_SECONDS } } as const;
    for (const [id, want] of Object.entries(expected)) {
      const fn = body(plain.out, "google_cloudfunctions2_function", id);
      expect(fn.build_config).toMatchObject({ runtime: "nodejs22", entry_point: want.entry });
      expect(fn.service_config).toMatchObject({
        max_instance_count: 1,
        min_instance_count: 0,
        max_instance_request_concurrency: 1,
        available_memory: "512Mi",
        timeout_seconds: want.timeout,
        service_account_email: email(plain.out, want.account),
        ingress_settings: "ALLOW_INTERNAL_ONLY",
        all_traffic_on_latest_revision: true,
      });
    }
    // Under Cloud Tasks' 10-minute dispatch deadline: the queue never retries a lookup still running.
    expect(body(plain.out, "google_cloudfunctions2_function", "Lookup").service_config.timeout_seconds).toBeLessThan(600);
  });

  test("both get the same environment; the tasks target lookup's own cloudfunctions.net URL as the tasks account", () => {
    const listIps = envOf(plain.out, "ListIps");
    expect(envOf(plain.out, "Lookup")).toEqual(listIps);
    expect(listIps.LURE_LOOKUP_URL).toMatch(/^https:\/\/europe-west2-\$\{data\.google_client_config\.Honeynet_Client_[0-9A-F]{8}\.project\}\.cloudfunctions\.net\/lure-watcher-lookup$/);
    expect(body(plain.out, "google_cloudfunctions2_function", "Lookup").name).toBe("lure-watcher-lookup");
    expect(listIps.LURE_TASKS_SERVICE_ACCOUNT).toBe(email(plain.out, "TasksAccount"));
    expect(envOf(full.out, "Lookup").LURE_LOOKUP_URL).toBe("https://europe-west2-lure-test-1.cloudfunctions.net/lure-watcher-lookup");
    expect(JSON.parse(listIps.LURE_VMS)).toMatchObject({ cowrie: "lure-hp-cowrie", conpot_IEC104: "lure-hp-conpot-iec104" });
    expect([plain, full].map((v) => [envOf(v.out, "Lookup").LURE_ROTATE, envOf(v.out, "Lookup").LURE_MIN_ROTATION_HOURS])).toEqual([["false", "24"], ["true", "12"]]);
  });

  test("the package: index.js and package.json, whose dependencies are exactly what the buildpack installs, at the versions tested", () => {
    const files = unzip(readFileSync(gcpFunctionPackage().zipPath));
    expect([...files.keys()]).toEqual(["index.js", "package.json"]);
    const manifest = JSON.parse(files.get("package.json")!.toString("utf8")) as Json;
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as Json;
    expect(manifest.main).toBe("index.js");
    expect(manifest.dependencies).toEqual(Object.fromEntries(GCP_INSTALLED.map((n) => [n, lock.packages[`node_modules/${n}`].version])));
    const code = files.get("index.js")!.toString("utf8");
    for (const n of GCP_INSTALLED) expect(code).toContain(`require("${n}")`);
    // The rest of the SDKs are inside, and Compute by its two clients only (its index loads ~100).
    expect(code).not.toMatch(/require\("@google-cloud\/(compute|storage|secret-manager)"\)/);
    expect(files.get("index.js")!.length).toBeLessThan(10_000_000);
    expect(zipFiles([...files].map(([name, content]) => ({ name, content }))).equals(readFileSync(gcpFunctionPackage().zipPath))).toBe(true);
  });
});

describe("IAM", () => {
  /** Every IAM member of the stack as `<type> <role> <member> <resource>`, with the watcher's own names for its resources. */
  function grants(out: Json): string[] {
    const names: Record<string, string> = {};
    for (const [t, byName] of Object.entries(out.resource as Record<string, Record<string, Json>>)) for (const n of Object.keys(byName)) names[`${t}.${n}`] = n.replace(/^Watcher_/, "").replace(/_[0-9A-F]{8}$/, "");
    const short = (v: unknown) => String(v).replace(/\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}/g, (_m, a: string) => names[a] ?? a);
    return Object.keys(out.resource)
      .filter((t) => /^google_.+_iam_(member|binding|policy)$/.test(t))
      .flatMap((t) =>
        resources(out, t).map(([, b]) => {
          const on = b.instance_name ?? b.subnetwork ?? b.secret_id ?? b.bucket ?? b.service_account_id ?? (t === "google_project_iam_member" ? "project" : b.name);
          return `${t.replace(/^google_/, "")} ${short(b.role)} ${short(b.member)} ${short(on)}`;
        }),
      )
      .sort();
  }

  test("without rotation: exactly these, each on one resource", () => {
    expect(grants(plain.out)).toEqual(
      [
        "cloud_run_v2_service_iam_member roles/run.invoker serviceAccount:SchedulerAccount ListIps",
        "cloud_run_v2_service_iam_member roles/run.invoker serviceAccount:TasksAccount Lookup",
        "cloud_tasks_queue_iam_member roles/cloudtasks.enqueuer serviceAccount:ListIpsAccount Queue",
        "project_iam_member roles/compute.viewer serviceAccount:ListIpsAccount project",
        "project_iam_member roles/run.builder serviceAccount:BuildAccount project",
        "secret_manager_secret_iam_member roles/secretmanager.secretAccessor serviceAccount:LookupAccount ApiKey",
        "service_account_iam_member roles/iam.serviceAccountUser serviceAccount:ListIpsAccount TasksAccount",
        "storage_bucket_iam_member roles/storage.objectUser serviceAccount:LookupAccount ResultsBucket",
      ].sort(),
    );
  });

  test("with Censys: one more secret (no version) and exactly one more grant, lookup's read of it; the functions get its settings; extra targets expanded", () => {
    const censys = synth((c) => {
      c.watcher.indexes = ["shodan", "censys"];
      c.watcher.extraTargets = [{ address: "185.199.108.0/31", honeypot: "conpot", label: "plant-a" }];
    });
    expect(grants(censys.out).filter((g) => !grants(plain.out).includes(g))).toEqual(["secret_manager_secret_iam_member roles/secretmanager.secretAccessor serviceAccount:LookupAccount CensysApiKey"]);
    const secretIds = resources(censys.out, "google_secret_manager_secret").map(([, b]) => b.secret_id).sort();
    expect(secretIds).toEqual(["lure-watcher-censys-api-key", "lure-watcher-shodan-api-key"]);
    expect(resources(censys.out, "google_secret_manager_secret_version")).toHaveLength(0);
    expect(resources(plain.out, "google_secret_manager_secret").map(([, b]) => b.secret_id)).toEqual(["lure-watcher-shodan-api-key"]);
    const [censysAddr] = resources(censys.out, "google_secret_manager_secret").find(([, b]) => b.secret_id === "lure-watcher-censys-api-key")!;
    for (const [, f] of resources(censys.out, "google_cloudfunctions2_function")) {
      const v = f.service_config.environment_variables;
      expect(v).toMatchObject({ LURE_CENSYS_SECRET: `\${${censysAddr}.id}`, LURE_CENSYS_EVERY_HOURS: "24" });
      expect(JSON.parse(v.LURE_EXTRA_TARGETS)).toEqual([
        { ip: "185.199.108.0", honeypot: "conpot", label: "plant-a" },
        { ip: "185.199.108.1", honeypot: "conpot", label: "plant-a" },
      ]);
    }
    for (const [, f] of resources(plain.out, "google_cloudfunctions2_function")) expect(Object.keys(f.service_config.environment_variables).filter((k) => /CENSYS|EXTRA/.test(k))).toEqual([]);
  });

  test("with rotation: three custom roles, on each honeypot instance, the honeypot subnet and the project's zone operations", () => {
    const extra = grants(full.out).filter((g) => !grants(plain.out).includes(g));
    const instances = full.stack.honeynet.hosts.map((h) => `compute_instance_iam_member RotationRole-access-config serviceAccount:LookupAccount Honeynet_Honeypot-${h.name}-Vm`);
    expect(extra.sort()).toEqual(
      [...instances, "compute_subnetwork_iam_member RotationRole-external-ip serviceAccount:LookupAccount Honeynet_HoneypotSubnet", "project_iam_member RotationRole-operations serviceAccount:LookupAccount project"].sort(),
    );
    expect(instances).toHaveLength(10);
    const roles = Object.fromEntries(resources(full.out, "google_project_iam_custom_role").map(([, b]) => [b.role_id, b.permissions]));
    expect(roles).toEqual({
      lure_watcher_access_config: ["compute.instances.get", "compute.instances.deleteAccessConfig", "compute.instances.addAccessConfig"],
      lure_watcher_external_ip: ["compute.subnetworks.useExternalIp"],
      lure_watcher_operations: ["compute.zoneOperations.get"],
    });
    expect(resources(plain.out, "google_project_iam_custom_role")).toEqual([]);
  });

  test("negative: no basic or admin role, nothing for allUsers, nothing project-wide but the reads and the build", () => {
    for (const v of [plain, full]) {
      const all = grants(v.out);
      expect(all.filter((g) => / roles\/(owner|editor|viewer|iam\.|resourcemanager\.|compute\.(admin|instanceAdmin)|storage\.admin|run\.admin|cloudfunctions\.admin)/.test(g) && !g.includes("roles/iam.serviceAccountUser"))).toEqual([]);
      expect(all.filter((g) => /allUsers|allAuthenticatedUsers/.test(g))).toEqual([]);
      // The only project-wide grants: list-ips reads instances, Cloud Build builds; with rotation, lookup reads zone operations.
      const projectWide = ["project_iam_member roles/compute.viewer serviceAccount:ListIpsAccount project", "project_iam_member roles/run.builder serviceAccount:BuildAccount project"];
      expect(all.filter((g) => g.startsWith("project_iam_member"))).toEqual(v === full ? ["project_iam_member RotationRole-operations serviceAccount:LookupAccount project", ...projectWide] : projectWide);
    }
  });

  test("Cloud Build builds as the watcher's own build account (Cloud Run Builder), not the project's default account", () => {
    for (const id of ["ListIps", "Lookup"]) {
      expect(body(plain.out, "google_cloudfunctions2_function", id).build_config.service_account).toBe(ref(address(plain.out, "google_service_account", "BuildAccount"), "id"));
    }
    expect(body(plain.out, "google_project_iam_member", "BuildAccountBuilder")).toMatchObject({ role: "roles/run.builder", member: `serviceAccount:${email(plain.out, "BuildAccount")}` });
  });

  test("rotation's bindings name their instance or subnet by reference and are recreated with it; nothing is granted on a name alone", () => {
    const targets = [...resources(full.out, "google_compute_instance_iam_member").map(([, b]) => [b.instance_name, b, "google_compute_instance", "instance_id"]), ...resources(full.out, "google_compute_subnetwork_iam_member").map(([, b]) => [b.subnetwork, b, "google_compute_subnetwork", "creation_timestamp"])] as [string, Json, string, string][];
    expect(targets).toHaveLength(11);
    for (const [name, b, type, attr] of targets) {
      const m = new RegExp(`^\\$\\{(${type}\\.[A-Za-z0-9_-]+)\\.name\\}$`).exec(name);
      expect({ name, refers: m !== null }).toEqual({ name, refers: true });
      // A bare reference: Terraform refuses an interpolation there (lifecycle.test.ts).
      expect(b.lifecycle).toEqual({ replace_triggered_by: [`${m![1]}.${attr}`] });
    }
  });

  test("service accounts and custom roles wait for the IAM API the stack enables", () => {
    const iam = resources(full.out, "google_project_service").find(([, b]) => b.service === "iam.googleapis.com")![0];
    for (const type of ["google_service_account", "google_project_iam_custom_role"]) {
      const watcherOnes = resources(full.out, type).filter(([a]) => a.includes(".Watcher_"));
      expect(watcherOnes.length).toBeGreaterThan(0);
      for (const [a, b] of watcherOnes) expect({ a, deps: b.depends_on }).toEqual({ a, deps: [iam] });
    }
  });

  test("the functions start only after their grants exist", () => {
    for (const id of ["ListIps", "Lookup"]) {
      const deps = body(full.out, "google_cloudfunctions2_function", id).depends_on as string[];
      for (const t of ["google_storage_bucket_iam_member", "google_secret_manager_secret_iam_member", "google_cloud_tasks_queue_iam_member", "google_compute_instance_iam_member"]) {
        expect({ id, t, found: deps.some((d) => d.startsWith(`${t}.`)) }).toEqual({ id, t, found: true });
      }
    }
  });
});

describe("e-mail, only with alertEmail", () => {
  test("without it: no channel, no policy, no Monitoring API; the entries are still written", () => {
    expect(plain.out.resource.google_monitoring_notification_channel).toBeUndefined();
    expect(plain.out.resource.google_monitoring_alert_policy).toBeUndefined();
    expect(resources(plain.out, "google_project_service").map(([, b]) => b.service)).not.toContain("monitoring.googleapis.com");
    expect(plain.out.output.watcher_logs.value).toContain(`jsonPayload.event="${ALERT_EVENT}"`);
  });

  test("with it: an e-mail channel, and a log-match policy on the two functions' alert entries, rate-limited, mailing subject and text", () => {
    expect(body(full.out, "google_monitoring_notification_channel", "AlertChannel")).toMatchObject({ type: "email", labels: { email_address: "soc@example.org" } });
    const policy = body(full.out, "google_monitoring_alert_policy", "AlertPolicy");
    expect(policy.conditions).toEqual([
      {
        display_name: "an alert entry of the watcher's functions",
        condition_matched_log: {
          filter: 'resource.type="cloud_run_revision" AND resource.labels.service_name=("lure-watcher-list-ips" OR "lure-watcher-lookup") AND jsonPayload.event="lure-alert"',
          label_extractors: { subject: "EXTRACT(jsonPayload.subject)", text: "EXTRACT(jsonPayload.text)" },
        },
      },
    ]);
    expect(policy.alert_strategy).toEqual({ notification_rate_limit: { period: "300s" }, auto_close: "1800s", notification_prompts: ["OPENED"] });
    expect(policy.notification_channels).toEqual([ref(address(full.out, "google_monitoring_notification_channel", "AlertChannel"), "id")]);
    // `$${` is Terraform's literal `${`: Monitoring fills these in.
    expect(policy.documentation).toEqual({ subject: "$${log.extracted_label.subject}", content: "$${log.extracted_label.text}", mime_type: "text/markdown" });
  });
});

describe("policy rules and outputs", () => {
  test.each([["default", () => plain], ["project, e-mail, rotation, cron", () => full], ["no watcher", () => off]])("%s: every rule passes", (_n, v) => {
    expect(checkStack(v().out)).toEqual([]);
  });

  test("no watcher when watcher.enabled is false: no watcher resource or output", () => {
    expect(watcherAddresses(off.out)).toEqual([]);
    expect(Object.keys(off.out.output).filter((o) => o.startsWith("watcher_"))).toEqual([]);
    expect(off.stack.watcher).toBeUndefined();
  });

  test("the watcher's APIs are enabled by the stack and never disabled on destroy", () => {
    const services = resources(full.out, "google_project_service").map(([, b]) => b);
    expect(services.map((s) => s.service).sort()).toEqual(
      ["artifactregistry", "cloudbuild", "cloudfunctions", "cloudscheduler", "cloudtasks", "iam", "monitoring", "run", "secretmanager"].map((s) => `${s}.googleapis.com`),
    );
    expect(services.every((s) => s.disable_on_destroy === false)).toBe(true);
  });

  test("outputs by the names the README gives; the key command reads the key from the terminal", () => {
    expect(Object.keys(plain.out.output).filter((o) => o.startsWith("watcher_")).sort()).toEqual([
      "watcher_alert_email",
      "watcher_api_key_command",
      "watcher_api_key_secret",
      "watcher_failures",
      "watcher_logs",
      "watcher_queue",
      "watcher_results",
    ]);
    const command = full.out.output.watcher_api_key_command.value as string;
    expect(command).toBe('read -rsp "Shodan API key: " LURE_KEY && echo && printf %s "$LURE_KEY" | gcloud secrets versions add lure-watcher-shodan-api-key --project lure-test-1 --data-file=-; unset LURE_KEY');
    expect(full.out.output.watcher_failures.value).toMatch(/^gcloud storage ls gs:\/\/\$\{google_storage_bucket\.Watcher_ResultsBucket_[0-9A-F]{8}\.name\}\/state\/failed\/$/);
  });
});

// ------------------------------------------------------------------------------------------------
// The construct ↔ function contract

/** The environment as a deployed function sees it: Terraform references resolved to plausible values. */
function deployedEnv(out: Json): Record<string, string> {
  return Object.fromEntries(
    Object.entries(envOf(out, "Lookup")).map(([k, v]) => [
      k,
      v
        .replace(/\$\{data\.google_client_config\.[A-Za-z0-9_]+\.project\}/g, "lure-test-1")
        .replace(/\$\{google_storage_bucket\.[A-Za-z0-9_]+\.name\}/g, "lure-watcher-1a2b3c4d")
        .replace(/\$\{google_secret_manager_secret\.[A-Za-z0-9_]+\.id\}/g, "projects/lure-test-1/secrets/lure-watcher-shodan-api-key")
        .replace(/\$\{google_cloud_tasks_queue\.[A-Za-z0-9_]+\.id\}/g, "projects/lure-test-1/locations/europe-west2/queues/lure-watcher")
        .replace(/\$\{google_service_account\.[A-Za-z0-9_]+\.email\}/g, "lure-watch-tasks@lure-test-1.iam.gserviceaccount.com")
        .replace(/\$\{[^}]+\}/g, "lure-resolved"),
    ]),
  );
}

describe("environment contract: the built source loads with the construct's environment", () => {
  let dir: string;
  let loads: Record<"plain" | "full" | "wrong", Loaded>;
  beforeAll(async () => {
    dir = unpackPackage(gcpFunctionPackage().zipPath, { "@google-cloud/functions-framework": FAKE_FUNCTIONS_FRAMEWORK });
    // The buildpack installs GCP_INSTALLED beside the bundle; here the project's copies stand in (the fake framework first).
    const installed = [join(ROOT, "node_modules")];
    const [p, f, w] = await Promise.all([
      loadPackage(dir, deployedEnv(plain.out), installed),
      loadPackage(dir, deployedEnv(full.out), installed),
      loadPackage(dir, { ...deployedEnv(full.out), LURE_QUEUE: "lure-watcher" }, installed),
    ]);
    loads = { plain: p, full: f, wrong: w };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([["plain", "default"], ["full", "project, e-mail, rotation, cron"]] as const)("%s (%s): no env error, and exactly the two deployed entry points are registered as HTTP functions", (variant, _label) => {
    const { stdout, stderr, failed } = loads[variant];
    expect({ failed, stderr: failed ? stderr.slice(-2000) : "" }).toEqual({ failed: false, stderr: "" });
    const deployed = (["ListIps", "Lookup"] as const).map((id) => body(plain.out, "google_cloudfunctions2_function", id).build_config.entry_point as string);
    expect(JSON.parse(stdout)).toEqual(deployed.map((name) => ({ kind: "http", name, handler: "function" })));
  });

  test("a wrong setting stops the package at load, naming the variable", () => {
    expect(loads.wrong.failed).toBe(true);
    expect(loads.wrong.stderr).toMatch(/LURE_QUEUE is "lure-watcher"/);
  });
});

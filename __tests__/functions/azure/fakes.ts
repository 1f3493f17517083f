/**
 * Strict fakes of the Azure SDK clients the watcher functions call: each is an object with exactly
 * the methods a test expects, and any other property access throws, so an unexpected call fails
 * the test instead of returning undefined. Errors are shaped like the SDKs' RestError (statusCode,
 * code), which blob-store.test.ts checks against the real storage pipeline with nock.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { NetworkInterface, PublicIPAddress } from "@azure/arm-network";
import type { BlobContainerLike, BlockBlobLike } from "../../../functions/azure/blob-store";
import type { AzureWatcherEnv } from "../../../functions/azure/env";
import type { Log, LogLevel } from "../../../functions/core/log";

/** An object whose every property not in `impl` throws when read (symbols and `then` read as undefined, for jest and await). */
export function strict<T extends object>(name: string, impl: Partial<T>): T {
  return new Proxy(impl as T, {
    get(target, prop, receiver) {
      if (typeof prop === "symbol" || prop === "then" || prop === "asymmetricMatch" || prop === "$$typeof" || prop === "nodeType" || prop === "toJSON") {
        return Reflect.get(target, prop, receiver);
      }
      if (!(prop in target)) throw new Error(`unexpected call: ${name}.${prop}`);
      return Reflect.get(target, prop, receiver);
    },
  });
}

/** What the Azure SDKs throw: a RestError with the HTTP status and the service's error code. */
export function restError(statusCode: number, code: string, message = code): Error {
  return Object.assign(new Error(message), { name: "RestError", statusCode, code });
}

export interface LogLine {
  readonly level: LogLevel;
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export function recordingLog(): { log: Log; lines: LogLine[]; events: () => string[]; find: (event: string) => LogLine | undefined } {
  const lines: LogLine[] = [];
  return {
    log: (level, event, fields = {}) => lines.push({ level, event, fields }),
    lines,
    events: () => lines.map((l) => l.event),
    find: (event) => lines.find((l) => l.event === event),
  };
}

/** Blob prefixes the lookup may write; the container's RBAC is the container, so the fake is the one that keeps the code inside them. */
export const BLOB_PREFIXES = ["results/", "latest/", "rotations/", "state/"] as const;
export const RESULTS_URL = "https://lurewatch.blob.core.windows.net/results";

/**
 * A results container held in a Map, with the blob service's conditional semantics: If-None-Match *
 * on an existing blob → 409 BlobAlreadyExists, If-Match with another ETag → 412 ConditionNotMet,
 * If-Match on a missing blob → 404 BlobNotFound; a new ETag on each write. `ops` records each call
 * ("get k", "put k", "delete k"; refused ones as "put k: 412"). `fail(op, key, err)` makes the next
 * matching call throw `err` once.
 */
export function fakeContainer(ops: string[] = []) {
  const blobs = new Map<string, { body: string; etag: string }>();
  let versions = 0;
  const failures: { op: string; key: string; err: Error }[] = [];
  const check = (op: string, key: string): void => {
    if (!BLOB_PREFIXES.some((p) => key.startsWith(p))) throw new Error(`blob ${key} is outside ${BLOB_PREFIXES.join(", ")}`);
    const i = failures.findIndex((f) => f.op === op && key.startsWith(f.key));
    if (i >= 0) {
      const [f] = failures.splice(i, 1);
      ops.push(`${op} ${key}: ${(f.err as { statusCode?: number }).statusCode ?? "error"}`);
      throw f.err;
    }
  };
  const refuse = (op: string, key: string, err: Error): never => {
    ops.push(`${op} ${key}: ${(err as { statusCode?: number }).statusCode}`);
    throw err;
  };
  const blobClient = (key: string): BlockBlobLike =>
    strict<BlockBlobLike>(`blob(${key})`, {
      async download() {
        check("get", key);
        ops.push(`get ${key}`);
        const b = blobs.get(key);
        if (!b) throw restError(404, "BlobNotFound");
        return { etag: b.etag, readableStreamBody: Readable.from([Buffer.from(b.body)]) };
      },
      async upload(body, length, options) {
        check("put", key);
        if (Buffer.byteLength(body) !== length) throw new Error(`content length ${length} does not match the body (${Buffer.byteLength(body)})`);
        if (options?.blobHTTPHeaders?.blobContentType !== "application/json") throw new Error("blob written without the JSON content type");
        const current = blobs.get(key);
        const c = options?.conditions;
        if (c?.ifNoneMatch !== undefined) {
          if (c.ifNoneMatch !== "*") throw new Error(`unexpected ifNoneMatch ${c.ifNoneMatch}`);
          if (current) refuse("put", key, restError(409, "BlobAlreadyExists"));
        }
        if (c?.ifMatch !== undefined) {
          if (!current) refuse("put", key, restError(404, "BlobNotFound"));
          else if (current.etag !== c.ifMatch) refuse("put", key, restError(412, "ConditionNotMet"));
        }
        ops.push(`put ${key}`);
        const etag = `"0x8D${++versions}"`;
        blobs.set(key, { body, etag });
        return { etag };
      },
      async delete(options) {
        check("delete", key);
        const current = blobs.get(key);
        if (!current) refuse("delete", key, restError(404, "BlobNotFound"));
        else if (options?.conditions?.ifMatch !== undefined && options.conditions.ifMatch !== current.etag) refuse("delete", key, restError(412, "ConditionNotMet"));
        ops.push(`delete ${key}`);
        blobs.delete(key);
        return {};
      },
    });
  const container = strict<BlobContainerLike>("container", { url: RESULTS_URL, getBlockBlobClient: blobClient });
  return {
    container,
    blobs,
    ops,
    json: (key: string): unknown => {
      const b = blobs.get(key);
      return b === undefined ? undefined : JSON.parse(b.body);
    },
    seed: (key: string, value: unknown) => blobs.set(key, { body: typeof value === "string" ? value : JSON.stringify(value), etag: `"0x8D${++versions}"` }),
    failNext: (op: "get" | "put" | "delete", key: string, err: Error) => failures.push({ op, key, err }),
  };
}

export const SUBSCRIPTION = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
export const RG = "lure-test-honeynet";
export const rgId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`;
export const pipId = (name: string) => `${rgId}/providers/Microsoft.Network/publicIPAddresses/${name}`;
export const nicId = (name: string) => `${rgId}/providers/Microsoft.Network/networkInterfaces/${name}`;
export const vmId = (name: string) => `${rgId}/providers/Microsoft.Compute/virtualMachines/${name}`;

/** The app settings as the construct sets them, parsed (test values). */
export function azureEnv(over: Partial<AzureWatcherEnv> = {}): AzureWatcherEnv {
  return {
    prefix: "lure-test",
    clientId: "11111111-2222-3333-4444-555555555555",
    subscriptionId: SUBSCRIPTION,
    resourceGroup: RG,
    vms: { cowrie: "lure-test-cowrie", conpot: "lure-test-conpot" },
    queueUrl: "https://lurewatch.queue.core.windows.net/lure-test-lookups",
    poisonQueueUrl: "https://lurewatch.queue.core.windows.net/lure-test-lookups-poison",
    resultsUrl: RESULTS_URL,
    vaultUrl: "https://lure-test-kv.vault.azure.net/",
    secretName: "shodan-api-key",
    alert: { kind: "email", endpoint: "https://lure-test-acs.europe.communication.azure.com/", sender: "DoNotReply@x.azurecomm.net", to: "ops@example.org" },
    rotate: false,
    minRotationHours: 24,
    minIntervalMs: 1000,
    honeyscore: false,
    extraTargets: [],
    ...over,
  };
}

/** A honeypot public IP as ARM returns it. */
export function publicIp(name: string, honeypot: string, ipAddress: string | undefined, over: Partial<PublicIPAddress> = {}): PublicIPAddress {
  return {
    id: pipId(name),
    name,
    location: "westeurope",
    sku: { name: "Standard", tier: "Regional" },
    zones: ["1"],
    publicIPAllocationMethod: "Static",
    publicIPAddressVersion: "IPv4",
    idleTimeoutInMinutes: 4,
    tags: { "lure:prefix": "lure-test", "lure:component": "honeypot", "lure:honeypot": honeypot },
    // Attached to its VM's NIC, as Terraform leaves it (an allocated IP on no NIC is a half-done rotation).
    ...(ipAddress === undefined ? {} : { ipAddress, ipConfiguration: { id: `${nicId(name)}/ipConfigurations/primary` } }),
    provisioningState: "Succeeded",
    ...over,
  };
}

/**
 * The honeynet's network as ARM holds it: public IPs and NICs, with Azure's rules that matter to
 * rotation: a public IP attached to a NIC cannot be deleted (400 PublicIPAddressCannotBeDeleted),
 * a created IP gets the next address of `addresses` (Static) and the NIC PUT is what attaches or
 * detaches it. `ops` records each call in order.
 */
export function fakeNetwork(addresses: string[] = [], ops: string[] = []) {
  const pips = new Map<string, PublicIPAddress>();
  const nics = new Map<string, NetworkInterface>();
  const failures = new Map<string, Error>();
  const maybeFail = (op: string): void => {
    const err = failures.get(op);
    if (err) {
      failures.delete(op);
      ops.push(`${op}: failed`);
      throw err;
    }
  };
  const clone = <T>(v: T): T => structuredClone(v);
  const inGroup = (rg: string): void => {
    if (rg !== RG) throw restError(404, "ResourceGroupNotFound", `resource group ${rg} is not the honeynet's`);
  };
  /** Every ARM call: the honeynet's group only, recorded, failing once when a test said so. */
  const enter = (rg: string, op: string): void => {
    inGroup(rg);
    ops.push(op);
    maybeFail(op);
  };
  const existing = <T>(from: Map<string, T>, name: string): T => {
    const found = from.get(name);
    if (found === undefined) throw restError(404, "ResourceNotFound", `${name} was not found`);
    return found;
  };
  /** ARM's read-only back-reference from a public IP to the ip configuration holding it. */
  const setHolder = (name: string, holder: string | undefined): void => {
    const p = pips.get(name) as { ipConfiguration?: { id: string } } | undefined;
    if (!p) return;
    if (holder === undefined) delete p.ipConfiguration;
    else p.ipConfiguration = { id: holder };
  };
  const publicIPAddresses = strict<{
    get: (rg: string, name: string) => Promise<PublicIPAddress>;
    beginDeleteAndWait: (rg: string, name: string) => Promise<void>;
    beginCreateOrUpdateAndWait: (rg: string, name: string, p: PublicIPAddress) => Promise<PublicIPAddress>;
    list: (rg: string) => AsyncIterable<PublicIPAddress>;
  }>("network.publicIPAddresses", {
    list(rg) {
      inGroup(rg);
      ops.push("list pips");
      const all = [...pips.values()].map(clone);
      return (async function* () {
        yield* all;
      })();
    },
    async get(rg, name) {
      enter(rg, `get pip ${name}`);
      return clone(existing(pips, name));
    },
    async beginDeleteAndWait(rg, name) {
      enter(rg, `delete pip ${name}`);
      const p = existing(pips, name);
      if (p.ipConfiguration) throw restError(400, "PublicIPAddressCannotBeDeleted", `Public IP address ${p.id} can not be deleted since it is still allocated to resource ${p.ipConfiguration.id}`);
      pips.delete(name);
    },
    async beginCreateOrUpdateAndWait(rg, name, params) {
      enter(rg, `create pip ${name}`);
      if (pips.has(name)) throw new Error(`fake network: ${name} exists; the rotation must delete it first`);
      const ipAddress = params.publicIPAllocationMethod === "Static" ? addresses.shift() : undefined;
      const created: PublicIPAddress = { ...clone(params), id: pipId(name), name, provisioningState: "Succeeded", ...(ipAddress ? { ipAddress } : {}) };
      pips.set(name, created);
      return clone(created);
    },
  });
  const networkInterfaces = strict<{
    get: (rg: string, name: string) => Promise<NetworkInterface>;
    beginCreateOrUpdateAndWait: (rg: string, name: string, p: NetworkInterface) => Promise<NetworkInterface>;
  }>("network.networkInterfaces", {
    async get(rg, name) {
      enter(rg, `get nic ${name}`);
      return clone(existing(nics, name));
    },
    async beginCreateOrUpdateAndWait(rg, name, params) {
      inGroup(rg);
      const attached = params.ipConfigurations?.find((c) => c.publicIPAddress?.id)?.publicIPAddress?.id;
      ops.push(`put nic ${name} ${attached ? `attach ${attached.split("/").pop()}` : "detach"}`);
      maybeFail(`put nic ${name} ${attached ? "attach" : "detach"}`);
      const before = nics.get(name);
      if (!before) throw restError(404, "ResourceNotFound");
      // Keep the public IPs' back-references in step, as ARM does.
      for (const c of before.ipConfigurations ?? []) {
        const old = c.publicIPAddress?.id?.split("/").pop();
        if (old) setHolder(old, undefined);
      }
      for (const c of params.ipConfigurations ?? []) {
        const now = c.publicIPAddress?.id?.split("/").pop();
        if (now) {
          if (!pips.has(now)) throw restError(400, "InvalidResourceReference", `public IP ${now} does not exist`);
          setHolder(now, `${nicId(name)}/ipConfigurations/${c.name}`);
        }
      }
      nics.set(name, clone(params));
      return clone(params);
    },
  });
  const network = strict<{ publicIPAddresses: typeof publicIPAddresses; networkInterfaces: typeof networkInterfaces }>("network", { publicIPAddresses, networkInterfaces });
  /** A honeypot VM's NIC with its public IP attached. */
  const attach = (vm: string, pip: PublicIPAddress): void => {
    const nicName = `${vm}-nic`;
    pips.set(pip.name!, { ...clone(pip), ipConfiguration: { id: `${nicId(nicName)}/ipConfigurations/primary` } });
    nics.set(nicName, {
      id: nicId(nicName),
      name: nicName,
      location: "westeurope",
      virtualMachine: { id: vmId(vm) },
      ipConfigurations: [{ name: "primary", subnet: { id: `${rgId}/providers/Microsoft.Network/virtualNetworks/lure/subnets/honeypots` }, publicIPAddress: { id: pip.id } }],
    });
  };
  return { network, pips, nics, ops, attach, failNext: (op: string, err: Error) => failures.set(op, err) };
}

/** Recorded Shodan answers (see __tests__/functions/shodan/fixtures). */
export function shodanFixture(name: "host-plc" | "host-honeypot"): unknown {
  return JSON.parse(readFileSync(join(__dirname, "..", "shodan", "fixtures", `${name}.json`), "utf8"));
}


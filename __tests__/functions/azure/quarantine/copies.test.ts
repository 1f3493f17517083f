import type { ContainerApp } from "@azure/arm-appcontainers";
import { containerAppCopies, type ContainerAppsApi } from "../../../../functions/azure/quarantine/copies";
import { RG } from "./fakes";

/** A strict fake of `containerApps`: only the app lure runs the copies in; every call recorded. */
function fakeApps(app: ContainerApp) {
  const calls: { op: string; rg: string; name: string; body?: ContainerApp }[] = [];
  let state = structuredClone(app);
  const check = (rg: string, name: string) => {
    if (rg !== RG || name !== "lure-copies") throw new Error(`fake: unexpected app ${rg}/${name}`);
  };
  const api: ContainerAppsApi = {
    async get(rg, name) {
      check(rg, name);
      calls.push({ op: "get", rg, name });
      return structuredClone(state);
    },
    async beginUpdateAndWait(rg, name, body) {
      check(rg, name);
      calls.push({ op: "update", rg, name, body: structuredClone(body) });
      // JSON Merge Patch of the scale object.
      state = { ...state, template: { ...state.template, scale: { ...state.template?.scale, ...body.template?.scale } } };
      return structuredClone(state);
    },
  };
  return { api, calls, state: () => state };
}

const APP: ContainerApp = {
  location: "westeurope",
  template: {
    containers: [{ name: "cowrie", image: "cowrie/cowrie:latest" }],
    scale: { minReplicas: 0, maxReplicas: 1, rules: [{ name: "tcp", tcp: { metadata: { concurrentConnections: "50" } } }] },
  },
};

describe("containerAppCopies", () => {
  const ref = { resourceGroup: RG, name: "lure-copies" };

  test("setDesired(3): one PATCH of the two replica counts (and the location ARM needs), nothing else of the template", async () => {
    const f = fakeApps(APP);
    await containerAppCopies(f.api, ref).setDesired(3);
    expect(f.calls).toEqual([
      { op: "get", rg: RG, name: "lure-copies" },
      { op: "update", rg: RG, name: "lure-copies", body: { location: "westeurope", template: { scale: { minReplicas: 3, maxReplicas: 3 } } } },
    ]);
    expect(f.state().template?.containers).toEqual(APP.template?.containers);
    expect(f.state().template?.scale?.rules).toEqual(APP.template?.scale?.rules);
  });

  test("setDesired(0) keeps a maximum of 1 (Container Apps refuses 0)", async () => {
    const f = fakeApps({ ...APP, template: { ...APP.template, scale: { minReplicas: 2, maxReplicas: 2 } } });
    await containerAppCopies(f.api, ref).setDesired(0);
    expect(f.calls[1].body).toEqual({ location: "westeurope", template: { scale: { minReplicas: 0, maxReplicas: 1 } } });
  });

  test("getDesired reads minReplicas; unset is 0", async () => {
    expect(await containerAppCopies(fakeApps({ ...APP, template: { scale: { minReplicas: 2, maxReplicas: 2 } } }).api, ref).getDesired()).toBe(2);
    const unset = fakeApps({ location: "westeurope", template: {} });
    expect(await containerAppCopies(unset.api, ref).getDesired()).toBe(0);
    expect(unset.calls.map((c) => c.op)).toEqual(["get"]);
  });

  test("a bad count is refused before any call; an ARM error is thrown as is", async () => {
    const f = fakeApps(APP);
    await expect(containerAppCopies(f.api, ref).setDesired(1.5)).rejects.toThrow("desired count 1.5 is not a whole number ≥ 0");
    await expect(containerAppCopies(f.api, ref).setDesired(-1)).rejects.toThrow("desired count -1");
    expect(f.calls).toEqual([]);
    const failing: ContainerAppsApi = {
      get: async () => APP,
      beginUpdateAndWait: async () => {
        throw Object.assign(new Error("throttled"), { statusCode: 429 });
      },
    };
    await expect(containerAppCopies(failing, ref).setDesired(2)).rejects.toMatchObject({ statusCode: 429 });
  });

  test("an app without a location in ARM's answer is an error, not a PATCH without one", async () => {
    const f = fakeApps({ location: "", template: {} });
    await expect(containerAppCopies(f.api, ref).setDesired(1)).rejects.toThrow("has no location");
    expect(f.calls.map((c) => c.op)).toEqual(["get"]);
  });
});

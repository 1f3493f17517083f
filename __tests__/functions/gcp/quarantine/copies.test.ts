/** The copies as the Cloud Run service's minimum instances, and their health. */
import { cloudRunCopies, copiesHealth, CopiesError, MIN_INSTANCES_MASK } from "../../../../functions/gcp/quarantine/copies";
import { COPIES, fakeRun, googleError, PROJECT, REGION } from "./fakes";

const REF = { project: PROJECT, region: REGION, service: COPIES };
const noSleep = async (): Promise<void> => undefined;

describe("cloudRunCopies", () => {
  it("reads and sets scaling.minInstanceCount with the mask and the etag, sending the service back whole", async () => {
    const run = fakeRun();
    const copies = cloudRunCopies(run.api, REF, { sleep: noSleep });
    expect(await copies.getDesired()).toBe(0);
    await copies.setDesired(2);
    expect(await copies.getDesired()).toBe(2);
    expect(run.updates).toHaveLength(1);
    const [u] = run.updates;
    expect(u.updateMask).toEqual({ paths: [MIN_INSTANCES_MASK] });
    expect(u.service).toMatchObject({ name: `projects/${PROJECT}/locations/${REGION}/services/${COPIES}`, etag: '"e1"', scaling: { minInstanceCount: 2 }, template: { containers: [{ image: "copies:1" }] } });
  });

  it("an unchanged count is no update", async () => {
    const run = fakeRun({ scaling: { minInstanceCount: 2 } });
    await cloudRunCopies(run.api, REF).setDesired(2);
    expect(run.calls).toEqual(["getService"]);
  });

  it("an etag that moved under the update is read again and retried, a bounded number of times", async () => {
    const run = fakeRun();
    let moves = 1;
    run.hooks.beforeUpdate = () => {
      if (moves-- > 0) run.set({ template: { containers: [{ image: "copies:2" }] } } as never);
    };
    await cloudRunCopies(run.api, REF, { sleep: noSleep }).setDesired(3);
    expect(run.service.scaling?.minInstanceCount).toBe(3);
    expect(run.updates).toHaveLength(2);
    // The second update carries what was read again (the deploy's new template is kept).
    expect(run.updates[1].service).toMatchObject({ template: { containers: [{ image: "copies:2" }] } });
    run.hooks.beforeUpdate = () => run.set({});
    await expect(cloudRunCopies(run.api, REF, { sleep: noSleep, updateRounds: 2 }).setDesired(1)).rejects.toThrow(/setting the minimum instances to 1/);
  });

  it("retries throttling and server errors; 404 and 403 are clear errors", async () => {
    const run = fakeRun();
    run.failNext(googleError(8, "RESOURCE_EXHAUSTED"), googleError(14, "UNAVAILABLE"));
    expect(await cloudRunCopies(run.api, REF, { sleep: noSleep }).getDesired()).toBe(0);
    run.failNext(googleError(5, "not found"));
    await expect(cloudRunCopies(run.api, REF).getDesired()).rejects.toThrow(CopiesError);
    run.failNext(googleError(7, "denied"));
    await expect(cloudRunCopies(run.api, REF).getDesired()).rejects.toThrow(/needs run\.services\.get/);
    await expect(cloudRunCopies(run.api, { ...REF, service: "other" }).getDesired()).rejects.toThrow(/not found/);
    await expect(cloudRunCopies(run.api, REF).setDesired(-1)).rejects.toThrow(/whole number/);
  });
});

describe("copiesHealth", () => {
  it("counts the minimum instances of a ready service; 0 while reconciling, failed, or at 0", async () => {
    const run = fakeRun({ scaling: { minInstanceCount: 2 } });
    const health = copiesHealth(run.api, REF);
    expect(await health()).toBe(2);
    run.set({ reconciling: true });
    expect(await health()).toBe(0);
    run.set({ reconciling: false, terminalCondition: { type: "Ready", state: 3 } });
    expect(await health()).toBe(0);
    run.set({ terminalCondition: { type: "Ready", state: 4 } });
    expect(await health()).toBe(2);
    run.set({ latestReadyRevision: "" });
    expect(await health()).toBe(0);
    run.set({ latestReadyRevision: "r1", scaling: { minInstanceCount: 0 } });
    expect(await health()).toBe(0);
  });
});

/**
 * Adapter: how many honeypot copies run, as the replica bounds of one Container App. `setDesired(n)`
 * sets `template.scale.minReplicas = n` and `maxReplicas = max(n, 1)` (Container Apps refuses a
 * maximum of 0) with a PATCH (JSON Merge Patch: only `template.scale`'s two counts are sent, so the
 * containers, the scale rules and everything else stay as Terraform made them) and waits for the
 * operation to end; `getDesired` reads `minReplicas`. Terraform ignores both counts, so an apply does
 * not undo a Defence Mode. Healthy copies are counted by the gateway's backend health
 * (gateway-steering.ts), not here.
 *
 * @example
 * const copies = containerAppCopies(new ContainerAppsAPIClient(credential, env.copiesApp.subscriptionId, clientOptions()).containerApps, env.copiesApp);
 */
import type { ContainerApp } from "@azure/arm-appcontainers";
import type { CopiesPort } from "../../core/quarantine-types";

/** The calls made on `ContainerAppsAPIClient.containerApps` (its own type fits; see the check at the end). */
export interface ContainerAppsApi {
  get(resourceGroupName: string, containerAppName: string): Promise<ContainerApp>;
  beginUpdateAndWait(resourceGroupName: string, containerAppName: string, containerAppEnvelope: ContainerApp): Promise<ContainerApp>;
}

/** The app the copies run in. */
export interface ContainerAppRef {
  readonly resourceGroup: string;
  readonly name: string;
}

/** Copies as the minimum replica count of one Container App. */
export function containerAppCopies(api: ContainerAppsApi, app: ContainerAppRef): CopiesPort {
  const where = `Container App ${app.name} (resource group ${app.resourceGroup})`;
  return {
    async setDesired(count) {
      if (!Number.isSafeInteger(count) || count < 0) throw new Error(`${where}: desired count ${count} is not a whole number ≥ 0`);
      // `location` is required by the SDK's type and by ARM on a PATCH of a tracked resource; it is
      // sent unchanged, read just before.
      const { location } = await api.get(app.resourceGroup, app.name);
      if (!location) throw new Error(`${where}: the app has no location in ARM's answer`);
      await api.beginUpdateAndWait(app.resourceGroup, app.name, { location, template: { scale: { minReplicas: count, maxReplicas: Math.max(count, 1) } } });
    },
    async getDesired() {
      const found = await api.get(app.resourceGroup, app.name);
      const min = found.template?.scale?.minReplicas;
      // An unset minimum is Container Apps' default, 0.
      if (min === undefined || min === null) return 0;
      if (!Number.isSafeInteger(min) || min < 0) throw new Error(`${where}: minReplicas is ${JSON.stringify(min)}`);
      return min;
    },
  };
}

// Compile-time check that the SDK's operations fit the interface above.
type SdkContainerApps = import("@azure/arm-appcontainers").ContainerAppsAPIClient["containerApps"];
type Fits<T extends ContainerAppsApi> = T;
/** The SDK's `containerApps` operations, proven to fit `ContainerAppsApi`. */
export type SdkContainerAppsFit = Fits<SdkContainerApps>;

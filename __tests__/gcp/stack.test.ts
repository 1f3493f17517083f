/** GcpStack: the google provider block, lure's labels as default_labels, the state backend. */
import { Testing } from "cdktf";
import { ComputeDisk } from "@cdktf/provider-google/lib/compute-disk";
import { GcpStack, type GcpStackProps } from "../../providers/gcp";
import { GcpHoneynetStack } from "../../modules/gcp/stacks";
import { configWith, type Json } from "../helpers/synth";

function synth(props: Partial<GcpStackProps> = {}): Json {
  const stack = new GcpStack(Testing.app(), "gcp-honeynet", { prefix: "lure", region: "europe-west2", ...props });
  new ComputeDisk(stack, "Disk", { name: "d", zone: "europe-west2-a", size: 10, labels: { "lure-component": "elastic" } });
  return JSON.parse(Testing.synth(stack)) as Json;
}

describe("GcpStack", () => {
  it("configures the provider: region, zone and project when given, lure's labels as default_labels, written as labels", () => {
    const out = synth({ zone: "europe-west2-b", project: "lure-test", tags: { Owner: "Jane Doe", "cost:centre": "rd-1" } });
    expect(out.provider.google).toEqual([
      {
        region: "europe-west2",
        zone: "europe-west2-b",
        project: "lure-test",
        default_labels: { owner: "jane-doe", "cost-centre": "rd-1", "lure-prefix": "lure", "lure-stack": "gcp-honeynet", "managed-by": "lure" },
      },
    ]);
    expect(out.resource.google_compute_disk.Disk.labels).toEqual({ "lure-component": "elastic" });
  });

  it("leaves project to the environment when not given", () => {
    expect(synth().provider.google[0].project).toBeUndefined();
  });

  it("keeps local state outside cdktf.out by default, or uses the given path", () => {
    expect(synth().terraform.backend).toEqual({ local: { path: "../../../terraform.gcp-honeynet.tfstate" } });
    expect(synth({ backend: { type: "local", path: "/state/x.tfstate" } }).terraform.backend).toEqual({ local: { path: "/state/x.tfstate" } });
  });

  it("uses a GCS bucket with the prefix <prefix>/<stack> unless another is given", () => {
    expect(synth({ backend: { type: "gcs", bucket: "lure-state" } }).terraform.backend).toEqual({ gcs: { bucket: "lure-state", prefix: "lure/gcp-honeynet" } });
    expect(synth({ backend: { type: "gcs", bucket: "lure-state", prefix: "team/x" } }).terraform.backend).toEqual({ gcs: { bucket: "lure-state", prefix: "team/x" } });
  });

  it("refuses tags that cannot be labels, naming each", () => {
    expect(() => synth({ tags: { "1st": "x", ["k".repeat(64)]: "y" } })).toThrow(/tags\.1st: key "1st" cannot be a Google Cloud label key[\s\S]*key is 64 characters/);
  });
});

describe("GcpHoneynetStack from the default config", () => {
  const config = configWith();
  const stack = new GcpHoneynetStack(Testing.app(), "gcp-honeynet", config, config.clouds.gcp!);
  const out = JSON.parse(Testing.synth(stack)) as Json;

  it("puts the VMs in the region's first zone and labels from tags and clouds.gcp.tags", () => {
    expect(out.provider.google[0]).toMatchObject({ region: "europe-west2", zone: "europe-west2-a", default_labels: { project: "lure", "lure-stack": "gcp-honeynet" } });
    for (const vm of Object.values(out.resource.google_compute_instance) as Json[]) expect(vm.zone).toBe("europe-west2-a");
  });

  it("tells what to do next: IPs, first boot, plain HTTP, admin SSH closed", () => {
    const next = String((Object.values(out.output) as Json[]).find((o) => o.description === "What to do after deploy")!.value);
    expect(next).toContain("list_public_ips");
    expect(next).toContain("plain HTTP");
    expect(next).toContain("Admin SSH is closed");
  });

  it("opens admin SSH with a key and CIDRs, and says how to reach the Elastic VM through IAP", () => {
    const c = configWith((raw) => ((raw.honeynet.adminCidrs = ["192.0.2.0/24"]), (raw.honeynet.adminSshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH6JZ/k7h08FP4F829aNdhrQcw0cZ95DZKa+qFq3uD6o ed@test")));
    const s = JSON.parse(Testing.synth(new GcpHoneynetStack(Testing.app(), "gcp-honeynet", c, c.clouds.gcp!))) as Json;
    const next = String((Object.values(s.output) as Json[]).find((o) => o.description === "What to do after deploy")!.value);
    expect(next).toContain("gcloud compute start-iap-tunnel lure-elastic 64295 --zone europe-west2-a --local-host-port=localhost:2222");
  });
});

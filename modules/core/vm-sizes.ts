/**
 * The Azure VM sizes lure runs honeypots on: burstable (B family) x86-64 sizes only, since a honeypot
 * idles most of the time and the T-Pot images are built for x86-64 first. The size a honeypot gets
 * unless `honeynet.overrides.<name>.size` says otherwise derives from its catalog task size.
 *
 * Sources: Microsoft Learn, "Bsv2-series", "Basv2-series" and "B-series (previous generation)" size
 * tables; B-series v1 retires on 15 Nov 2028 (Azure/EOL), so lure's defaults are Basv2.
 */
import { defaultSize } from "./catalog";

export interface AzureVmSize {
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** `Basv2` (AMD), `Bsv2` (Intel) or `B` (previous generation). */
  readonly series: "Basv2" | "Bsv2" | "B";
  /** When Azure retires the series, if announced. */
  readonly retires?: string;
}

const B_V1_RETIRES = "2028-11-15";

/** The sizes lure accepts, smallest first within each series. */
export const AZURE_VM_SIZES: Readonly<Record<string, AzureVmSize>> = {
  Standard_B2ats_v2: { vcpus: 2, memoryGiB: 1, series: "Basv2" },
  Standard_B2als_v2: { vcpus: 2, memoryGiB: 4, series: "Basv2" },
  Standard_B2as_v2: { vcpus: 2, memoryGiB: 8, series: "Basv2" },
  Standard_B4als_v2: { vcpus: 4, memoryGiB: 8, series: "Basv2" },
  Standard_B4as_v2: { vcpus: 4, memoryGiB: 16, series: "Basv2" },
  Standard_B2ts_v2: { vcpus: 2, memoryGiB: 1, series: "Bsv2" },
  Standard_B2ls_v2: { vcpus: 2, memoryGiB: 4, series: "Bsv2" },
  Standard_B2s_v2: { vcpus: 2, memoryGiB: 8, series: "Bsv2" },
  Standard_B4ls_v2: { vcpus: 4, memoryGiB: 8, series: "Bsv2" },
  Standard_B4s_v2: { vcpus: 4, memoryGiB: 16, series: "Bsv2" },
  Standard_B8s_v2: { vcpus: 8, memoryGiB: 32, series: "Bsv2" },
  Standard_B1s: { vcpus: 1, memoryGiB: 1, series: "B", retires: B_V1_RETIRES },
  Standard_B1ms: { vcpus: 1, memoryGiB: 2, series: "B", retires: B_V1_RETIRES },
  Standard_B2s: { vcpus: 2, memoryGiB: 4, series: "B", retires: B_V1_RETIRES },
  Standard_B2ms: { vcpus: 2, memoryGiB: 8, series: "B", retires: B_V1_RETIRES },
  Standard_B4ms: { vcpus: 4, memoryGiB: 16, series: "B", retires: B_V1_RETIRES },
};

export const AZURE_VM_SIZE_NAMES: readonly string[] = Object.keys(AZURE_VM_SIZES);

/**
 * Memory (MiB) a honeypot VM needs besides the honeypot container: the OS, Docker and the log shipper.
 * A 1 GiB VM then holds a honeypot of 512 MiB, T-Pot's light ones.
 */
export const VM_HOST_OVERHEAD_MIB = 512;

/** The series lure picks defaults from: the cheapest current burstable one. */
export const AZURE_DEFAULT_SERIES = "Basv2";

/**
 * The smallest size of {@link AZURE_DEFAULT_SERIES} with at least the task's vCPUs (CPU units / 1024)
 * and its memory plus {@link VM_HOST_OVERHEAD_MIB}; the largest of the series when none is enough.
 */
export function azureVmSizeFor(task: { readonly cpu: number; readonly memory: number }): string {
  const series = Object.entries(AZURE_VM_SIZES).filter(([, s]) => s.series === AZURE_DEFAULT_SERIES);
  const fits = series.find(([, s]) => s.vcpus * 1024 >= task.cpu && s.memoryGiB * 1024 >= task.memory + VM_HOST_OVERHEAD_MIB);
  return (fits ?? series[series.length - 1])[0];
}

/**
 * The size a honeypot's VM gets on Azure: the override's `size`, else the size that fits the
 * override's `cpu`/`memory` or the catalog's default task size ({@link defaultSize}).
 * Light honeypots (256 CPU, 512 MiB) get Standard_B2ats_v2, heavy ones (cowrie, dionaea, conpot:
 * 512 CPU, 1024 MiB) Standard_B2als_v2.
 */
export function defaultAzureVmSize(name: string, override: { readonly size?: string; readonly cpu?: number; readonly memory?: number } = {}): string {
  if (override.size) return override.size;
  const d = defaultSize(name);
  return azureVmSizeFor({ cpu: override.cpu ?? d.cpu, memory: override.memory ?? d.memory });
}

export interface GcpMachineType {
  /** vCPUs; shared-core types give a fraction of one, bursting higher. */
  readonly vcpus: number;
  readonly memoryGiB: number;
}

/**
 * The Compute Engine machine types lure accepts for honeypots: the E2 family (x86-64, the cheapest
 * general-purpose one, Spot-capable), shared-core first.
 */
export const GCP_MACHINE_TYPES: Readonly<Record<string, GcpMachineType>> = {
  "e2-micro": { vcpus: 0.25, memoryGiB: 1 },
  "e2-small": { vcpus: 0.5, memoryGiB: 2 },
  "e2-medium": { vcpus: 1, memoryGiB: 4 },
  "e2-standard-2": { vcpus: 2, memoryGiB: 8 },
  "e2-standard-4": { vcpus: 4, memoryGiB: 16 },
  "e2-standard-8": { vcpus: 8, memoryGiB: 32 },
  "e2-highcpu-2": { vcpus: 2, memoryGiB: 2 },
  "e2-highcpu-4": { vcpus: 4, memoryGiB: 4 },
  "e2-highcpu-8": { vcpus: 8, memoryGiB: 8 },
  "e2-highmem-2": { vcpus: 2, memoryGiB: 16 },
  "e2-highmem-4": { vcpus: 4, memoryGiB: 32 },
};

export const GCP_MACHINE_TYPE_NAMES: readonly string[] = Object.keys(GCP_MACHINE_TYPES);

/**
 * The smallest shared-core or standard E2 type with more memory than the honeypot's task and the host
 * need (Docker, Filebeat: {@link VM_HOST_OVERHEAD_MIB}) and more vCPU than
 * the task's CPU units (1024 = one vCPU): shared-core types burst, so an exact fit leaves no headroom. The catalog's light honeypots (256 CPU, 512 MiB) get
 * e2-small, the heavy ones (512 CPU, 1024 MiB) e2-medium.
 */
export function defaultGcpMachineType(name: string, override: { readonly machineType?: string; readonly cpu?: number; readonly memory?: number } = {}): string {
  if (override.machineType) return override.machineType;
  const d = defaultSize(name);
  const cpu = override.cpu ?? d.cpu;
  const memory = override.memory ?? d.memory;
  const order = ["e2-micro", "e2-small", "e2-medium", "e2-standard-2", "e2-standard-4", "e2-standard-8"];
  const fits = order.find((t) => GCP_MACHINE_TYPES[t].vcpus * 1024 > cpu && GCP_MACHINE_TYPES[t].memoryGiB * 1024 > memory + VM_HOST_OVERHEAD_MIB);
  return fits ?? order[order.length - 1];
}

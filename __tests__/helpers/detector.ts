import type { ScanDetector } from "../../functions/core/detector";
import type { Detection, FlowRecord } from "../../functions/core/quarantine-types";

/** Feeds every record to `d`; returns the detections with the index of the record that produced each. */
export function runDetector(d: ScanDetector, records: readonly FlowRecord[]): { at: number; detection: Detection }[] {
  const out: { at: number; detection: Detection }[] = [];
  records.forEach((r, at) => {
    const detection = d.observe(r);
    if (detection) out.push({ at, detection });
  });
  return out;
}

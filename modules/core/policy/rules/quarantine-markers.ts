/**
 * How lure marks the parts of a Quarantine, for the constructs that set the marks and the rules that
 * read them. A module of its own so that the rules' files can share it without importing each other
 * at load time.
 */
import { toLabel } from "../../labels";

/** Tag lure puts on the Quarantine's copies (`copies`) and on the real service it deploys (`real`), on AWS and Azure. */
export const QUARANTINE_PART_TAG = "lure:quarantine";

/**
 * The same mark as a Google Cloud label (`lure-quarantine`), on the Quarantine's Cloud Run services:
 * `copies`, `real`, `router`.
 */
export const QUARANTINE_PART_LABEL = toLabel(QUARANTINE_PART_TAG);
